"""``dcmon run --shard K/N``: one of N processes, each polling a stable share of the inventory.

A device belongs to shard ``crc32(device id) % N``. CRC-32 (not Python's ``hash()``, which is
salted per process) gives every process, on every machine and after every restart, the same
answer without talking to the others, so a Kubernetes StatefulSet can hand its pod ordinal to
``--shard`` and N pods split the devices with no coordinator. Adding a device moves no other.

A shard keeps the whole inventory's sites, rooms, racks and energy topology and polls only its
devices, so its engine's site figures (PUE, site power, capacity, alerts) are partial. It
publishes what stays true per device and per meter (device readings,
``dcmon_meter_energy_joules_total``) and the site energy counters labelled with its shard (they
add up across shards: ``sum by (site)``); site PUE, capacity and alerts are Prometheus's, from
``dcmon rules --sharded`` (docs/deployment.md, "Shards").
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.config.resolved import Config

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")

#: Engine families a shard serves as they are: per meter, true whatever the other shards poll.
PER_METER = frozenset({"dcmon_meter_energy_joules", "dcmon_meter_wraps", "dcmon_meter_resets"})
#: Engine families a shard serves with a ``shard`` label: its meters' share of a site's energy,
#: which the sharded rules add up (``sum by (site)``).
SHARE_OF_SITE = frozenset({"dcmon_site_facility_energy_joules", "dcmon_site_it_energy_joules",
                           "dcmon_site_renewable_energy_joules",
                           "dcmon_site_generator_energy_joules",
                           "dcmon_site_water_cubic_meters"})


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (0-based, as a StatefulSet ordinal)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` with 0 <= K < N; ValueError says what is wrong."""
        m = _SPEC.fullmatch(text)
        if m is None:
            raise ValueError(f"{text!r} is not K/N (e.g. 0/2: the first of two shards)")
        index, count = int(m.group(1)), int(m.group(2))
        if count < 1:
            raise ValueError(f"{text!r}: the number of shards must be at least 1")
        if index >= count:
            raise ValueError(f"{text!r}: the shard number runs from 0 to {count - 1}")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, device_id: str) -> bool:
        return shard_of(device_id, self.count) == self.index

    def select(self, config: Config) -> Config:
        """The inventory with only this shard's devices (sites, topology and policy whole),
        keeping its state in ``state_dir/shard-K-of-N``: two shards on one host never share a
        store, and a changed N starts fresh accounts instead of reading another split's."""
        state = PurePosixPath(config.model.state_dir) / f"shard-{self.index}-of-{self.count}"
        model = config.model.model_copy(update={"state_dir": str(state)})
        return replace(config, model=model,
                       devices=tuple(d for d in config.devices if self.owns(d.id)))


def shard_of(device_id: str, count: int) -> int:
    """The shard of a device: CRC-32 of its id (UTF-8) modulo the number of shards."""
    return zlib.crc32(device_id.encode("utf-8")) % count


class ShardResults(Collector):
    """The engine's results as a shard may publish them (see the module docstring)."""

    def __init__(self, engine: Collector, shard: Shard) -> None:
        self.engine = engine
        self.shard = shard

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        for fam in self.engine.collect():
            if fam.name in PER_METER:
                yield fam
            elif fam.name in SHARE_OF_SITE:
                yield _labelled(fam, "shard", str(self.shard))
        info = GaugeMetricFamily("dcmon_shard_info", "This process polls one shard of the "
                                 "inventory (crc32(device id) % shards == shard); site PUE, "
                                 "capacity and alerts come from the sharded Prometheus rules",
                                 labels=["shard", "shards"])
        info.add_metric([str(self.shard.index), str(self.shard.count)], 1.0)
        yield info


def _labelled(fam: Metric, key: str, value: str) -> Metric:
    out = Metric(fam.name, fam.documentation, fam.type, fam.unit)
    for s in fam.samples:
        out.add_sample(s.name, {**s.labels, key: value}, s.value, s.timestamp, s.exemplar)
    return out
