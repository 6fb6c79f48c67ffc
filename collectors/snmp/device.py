"""The SNMP devices of an inventory: a target from each credential, the client, detection.

One :class:`SnmpDevices` serves every SNMP device of a poller. It holds the shared clients (one
pysnmp engine for all v3 targets, the lean client for v1/v2c unless the inventory says
``poll.snmp_client: pysnmp``) and remembers the profile detection chose for each device, so a
device is asked who it is once, not every poll.

A detected device is polled with its profile and the standard MIBs that complete it
(:mod:`dcmon.collectors.snmp.complete`). When the choice stops reading anything (firmware
replaced, card swapped: :data:`RECHECK_AFTER` answered polls in a row without a reading), the
choice is forgotten and the next poll detects again. A poll that answers but reads nothing
always says why (``no_readings``), never an empty success.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence

from pydantic import SecretStr

from dcmon import clock
from dcmon.collectors.snmp.api import PollBudget, SnmpClient, SnmpError, SnmpTarget, WalkLimits
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.complete import complete
from dcmon.collectors.snmp.detect import Detection, detect
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.config.resolved import Config, DeviceSpec, ResolvedCredential
from dcmon.errors import ConfigError
from dcmon.model import PollError, PollResult

log = logging.getLogger("dcmon.collectors.snmp")

#: Answered polls in a row without a reading before a detected device is detected again.
RECHECK_AFTER = 2


def make_target(dev: DeviceSpec, cred: ResolvedCredential, default_max_rep: int,
                profile: CompiledProfile | None = None) -> SnmpTarget:
    """Build the SnmpTarget for a device: device setting > profile quirk > global default."""
    max_rep = dev.max_repetitions or (profile.max_repetitions if profile else None) \
        or default_max_rep

    def secret(s: SecretStr | None) -> str | None:
        return s.get_secret_value() if s is not None else None

    return SnmpTarget(
        host=dev.host, port=dev.port, version=cred.version,
        community=secret(cred.community) or "", user=cred.user,
        auth_protocol=cred.auth_protocol, auth_key=secret(cred.auth_key),
        priv_protocol=cred.priv_protocol, priv_key=secret(cred.priv_key),
        context=cred.context, timeout=dev.timeout, retries=dev.retries, max_repetitions=max_rep,
    )


def budget_of(dev: DeviceSpec) -> PollBudget:
    """A fresh budget for one poll of ``dev``: its deadline starts now."""
    limits = WalkLimits(dev.max_walk_rows, dev.max_poll_varbinds, dev.max_poll_bytes)
    return PollBudget(limits, dev.poll_deadline)


class SnmpDevices:
    """Polls the SNMP devices of one inventory, detecting profiles where it says ``auto``."""

    def __init__(self, config: Config, candidates: Sequence[CompiledProfile], *,
                 sources: bool = True) -> None:
        self.config = config
        self.candidates = list(candidates)
        self.sources = sources
        self._pysnmp: SnmpClient | None = None
        self.lean: SnmpClient | None = (LeanSnmpClient() if config.poll.snmp_client == "lean"
                                        else None)
        self._collectors = {id(self.lean): SnmpCollector(self.lean, sources=sources)
                            } if self.lean is not None else {}
        if self.lean is None or config.credentials.any_v3():
            self._make_pysnmp()  # now, so that no poll's deadline pays the import
        self._detected: dict[str, Detection] = {}
        self._empty: dict[str, int] = {}
        self._credentials: dict[str, ResolvedCredential] = {}

    @property
    def client(self) -> SnmpClient:
        """The pysnmp client (SNMPv3, and v1/v2c where the inventory asks for it), made and
        imported at its first use: an inventory of v1/v2c devices polled by the lean client
        never loads pysnmp, ~11 MiB of modules (docs/performance.md)."""
        return self._pysnmp if self._pysnmp is not None else self._make_pysnmp()

    def _make_pysnmp(self) -> SnmpClient:
        from dcmon.collectors.snmp.client import PysnmpClient

        client = self._pysnmp = PysnmpClient()
        self._collectors[id(client)] = SnmpCollector(client, sources=self.sources)
        return client

    def _client_for(self, target: SnmpTarget) -> SnmpClient:
        return self.lean if self.lean is not None and target.version != "3" else self.client

    def target(self, dev: DeviceSpec, profile: CompiledProfile | None = None) -> SnmpTarget:
        """The device's target; its credential's secrets are read at its first use (a poll is
        what needs them) and kept. ConfigError names the key when one cannot be read."""
        cred = self._credentials.get(dev.credential)
        if cred is None:
            cred = self._credentials[dev.credential] = self.config.credential(dev.credential)
        return make_target(dev, cred, self.config.poll.max_repetitions, profile)

    async def detect(self, dev: DeviceSpec, budget: PollBudget | None = None) -> Detection:
        """Ask the device who it is and choose its profile; SnmpError when it does not answer
        (or runs the poll out of its deadline or limits)."""
        target = self.target(dev)
        return await detect(self._client_for(target), target, self.candidates,
                            budget or budget_of(dev))

    def detected(self, device_id: str) -> Detection | None:
        """The remembered detection of a device (None before its first poll or after a reset)."""
        return self._detected.get(device_id)

    async def poll(self, dev: DeviceSpec, profile: object | None) -> PollResult:
        """Poll one device with ``profile``, or with the detected one when it is None.

        Detection and the poll share one budget: the device's deadline bounds both.
        """
        started, t0 = clock.now(), time.monotonic()
        try:
            self.target(dev)
        except ConfigError as exc:  # a secret that cannot be read: a failed poll, not a crash
            return PollResult(dev.id, dev.profile, (), (PollError("credential", str(exc)),),
                              started, time.monotonic() - t0, ok=False)
        budget = budget_of(dev)
        if isinstance(profile, CompiledProfile):
            return await self._poll(dev, profile, budget)
        found = self._detected.get(dev.id)
        if found is None:
            try:
                found = await self.detect(dev, budget)
            except SnmpError as exc:
                return PollResult(dev.id, "auto", (), (PollError(exc.reason, exc.message),),
                                  started, time.monotonic() - t0, ok=False)
            if found.profile is None:
                return PollResult(dev.id, "auto", (), (PollError("no_profile", found.reason),),
                                  started, time.monotonic() - t0, ok=False)
            log.info("device %s: %s", dev.id, found.reason)
            self._detected[dev.id] = found
            self._empty[dev.id] = 0
        assert found.profile is not None
        result = await self._poll(dev, found.profile, budget, found.complements)
        self._recheck(dev.id, result)
        return result

    async def _poll(self, dev: DeviceSpec, profile: CompiledProfile, budget: PollBudget,
                    complements: Sequence[CompiledProfile] = ()) -> PollResult:
        """Poll the profile, then the standard MIBs completing it; say why when nothing read."""
        target = self.target(dev, profile)
        collector = self._collectors[id(self._client_for(target))]
        result = await collector.poll(dev.id, target, profile, include_outlets=dev.outlets,
                                      budget=budget)
        if result.ok and complements:
            extra = [await collector.poll(dev.id, target, p, include_outlets=dev.outlets,
                                          budget=budget) for p in complements]
            merged = complete(result.readings, [r.readings for r in extra if r.ok],
                              [p.name for p, r in zip(complements, extra, strict=True) if r.ok])
            result = dataclasses.replace(result, readings=tuple(merged))
        if result.ok and not result.readings:
            why = PollError("no_readings", f"profile {profile.name} read nothing from this "
                                           "device (its objects are absent or all say 'not "
                                           "available')")
            result = dataclasses.replace(result, errors=(*result.errors, why))
        return result

    def _recheck(self, device_id: str, result: PollResult) -> None:
        """Forget a detection that stopped reading, so that the next poll detects again."""
        if not result.ok:
            return  # down or refusing: asking it who it is would not answer either
        self._empty[device_id] = 0 if result.readings else self._empty.get(device_id, 0) + 1
        if self._empty[device_id] >= RECHECK_AFTER:
            log.warning("device %s: profile %s read nothing %d polls in a row; detecting again",
                        device_id, result.profile, self._empty[device_id])
            self._detected.pop(device_id, None)
            self._empty[device_id] = 0

    async def close(self) -> None:
        if self._pysnmp is not None:
            await self._pysnmp.close()
        if self.lean is not None:
            await self.lean.close()
