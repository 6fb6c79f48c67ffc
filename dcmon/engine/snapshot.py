"""The latest snapshot: last readings and health of every device, shared with exporters.

Polls write here from the asyncio loop; the Prometheus HTTP server reads from its own thread, so
every access goes through one lock and readers get immutable copies. A scrape therefore never
touches a device and never sees a half-written poll.

Availability is derived from the last poll (``up``), not stored twice. The health log follows the
coordinator pattern: one line when a device starts failing, one when it recovers, none per poll.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from dcmon.engine.packed import Packer, ReadingsView, Stored, unpack
from dcmon.model import PollResult, Reading

log = logging.getLogger("dcmon.health")


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Where a device sits, for labels: site, room, rack and its configured profile."""

    id: str
    site: str
    room: str
    rack: str
    profile: str
    host: str = ""
    port: int = 0
    feed: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """Poll health of one device, as the self-metrics expose it."""

    info: DeviceInfo
    profile: str = ""
    up: bool = False
    polls: int = 0
    last_poll_ts: float = 0.0
    last_success_ts: float = 0.0
    last_duration: float = 0.0
    last_error: str = ""
    last_reason: str = ""
    consecutive_failures: int = 0
    missing_oids: int = 0
    errors: Mapping[str, int] = field(default_factory=dict)


class Snapshot:
    """Thread-safe store of the latest readings and health per device."""

    def __init__(self, devices: list[DeviceInfo] | None = None) -> None:
        self._lock = threading.Lock()
        #: Each device's last readings, packed (one shared shape per profile and label set,
        #: the values in an array): a city's Reading objects were its largest cost per device.
        self._readings: dict[str, Stored] = {}
        self._packer = Packer()
        self._health: dict[str, DeviceHealth] = {}
        #: Bumped when the device list changes (a reload), so caches of it can resync.
        self.generation = 0
        for d in devices or []:
            self._health[d.id] = DeviceHealth(info=d, profile=d.profile)

    def record(self, result: PollResult) -> DeviceHealth:
        """Store one poll result, update health, log state changes once."""
        with self._lock:
            old = self._health.get(result.device) or DeviceHealth(
                info=DeviceInfo(result.device, "", "", "", result.profile))
            errors = Counter(old.errors)
            missing = sum(1 for e in result.errors if e.reason == "no_such_object")
            if result.ok:
                self._readings[result.device] = self._packer.pack(result.readings)
                new = replace(
                    old, profile=result.profile, up=True, polls=old.polls + 1,
                    last_poll_ts=result.started, last_success_ts=result.started + result.duration,
                    last_duration=result.duration, consecutive_failures=0,
                    missing_oids=missing, errors=dict(errors),
                    last_error="", last_reason="",
                )
            else:
                err = result.errors[0] if result.errors else None
                reason = err.reason if err else "unknown"
                errors[reason] += 1
                new = replace(
                    old, profile=result.profile or old.profile, up=False, polls=old.polls + 1,
                    last_poll_ts=result.started, last_duration=result.duration,
                    last_error=err.message if err else "", last_reason=reason,
                    consecutive_failures=old.consecutive_failures + 1, errors=dict(errors),
                )
                # Stale readings of a dead device must not look live.
                self._readings.pop(result.device, None)
            self._health[result.device] = new
        if (old.up and not new.up) or (old.polls == 0 and not new.up):
            log.warning("device %s is down: %s (%s)", result.device, new.last_error,
                        new.last_reason)
        elif not old.up and new.up and old.polls > 0:
            log.info("device %s recovered after %d failed polls", result.device,
                     old.consecutive_failures)
        return new

    def set_devices(self, devices: list[DeviceInfo]) -> None:
        """The inventory was reloaded: keep the health of devices still configured (under their
        new place), start new ones unpolled, and forget removed ones with their readings, so a
        removed device leaves /metrics instead of showing as down for ever."""
        with self._lock:
            self.generation += 1
            old = self._health
            self._health = {d.id: replace(old[d.id], info=d) if d.id in old
                            else DeviceHealth(info=d, profile=d.profile) for d in devices}
            for gone in set(self._readings) - set(self._health):
                del self._readings[gone]

    def readings(self) -> Mapping[str, tuple[Reading, ...]]:
        """Every device's last readings; each device's are made into Readings when read."""
        with self._lock:
            return ReadingsView(dict(self._readings))

    def health(self) -> dict[str, DeviceHealth]:
        with self._lock:
            return dict(self._health)

    def device(self, device_id: str, *, readings: bool = True
               ) -> tuple[tuple[Reading, ...], DeviceHealth | None]:
        """One device's latest readings (none with ``readings=False``: the caller has them)
        and health, without copying every device's."""
        with self._lock:
            stored = self._readings.get(device_id, ()) if readings else ()
            health = self._health.get(device_id)
        return unpack(stored), health
