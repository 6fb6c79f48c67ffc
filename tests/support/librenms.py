"""LibreNMS reference recordings and expected sensor values (test fixtures, GPLv3 material).

The files live OUTSIDE the repository and must never be copied into it:
``<shared>/devices/librenms/snmpsim/<name>.snmprec`` (served by snmpsim, community = ``name``)
and ``<shared>/devices/librenms/data/<name>.json`` (what LibreNMS polls from them). ``<shared>``
is ``$DCMON_SHARED_DIR`` if set, else ``<repo>/../shared``. See that folder's README.md.

Expected values follow the README: when ``sensors.poller`` is an object its ``sensors[]`` (the
values after a poll) are used, otherwise the discovery ``sensor_current``. Excluded from
:func:`expected_sensors`: ``state`` sensors (enumerations), ``dateToRuntime`` sensors (time
dependent) and the three sensors whose OID is missing from the recording (LibreNMS records 0).

LibreNMS derivation (``record_sensor_data``), implemented by :func:`derive`::

    v = first number in the raw value; if v == -32768: v = 0
    if divisor and v != 0: v /= divisor
    if multiplier: v *= multiplier
    user_func: fahrenheit_to_celsius -> round((v - 32) / 1.8, 2); string_to_float -> round(v, 2)
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Sensor classes a power/energy monitor cares about.
ENERGY_CLASSES = (
    "power",
    "current",
    "voltage",
    "frequency",
    "power_consumed",
    "temperature",
    "humidity",
    "load",
    "power_factor",
    "cooling",
)

#: (recording, sensor_index) of sensors whose OID is absent from the recording (README).
UNSCORABLE = frozenset(
    {
        ("enexus", "batteryTest.5.0"),
        ("enexus_smartpacks", "batteryTest.5.0"),
        ("hpe-mapdu_pdu2", "Pdu2InputIndex.0.1"),
    }
)

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Expected:
    """One non-state sensor LibreNMS polls from a recording.

    Attributes:
        recording: recording name (= snmpsim community / v3 context).
        sensor_class: LibreNMS class (power, current, voltage, ...); units per the README.
        oid: numeric OID without the leading dot.
        index: LibreNMS ``sensor_index``.
        descr: LibreNMS ``sensor_descr``.
        value: the expected polled value (poller value if present, else discovery).
        divisor: ``sensor_divisor`` (0 or 1 mean none).
        multiplier: ``sensor_multiplier`` (0 or 1 mean none).
        user_func: LibreNMS post-processing function name, or None.
        type: LibreNMS ``sensor_type`` (e.g. ``rfc1628`` for UPS-MIB).
    """

    recording: str
    sensor_class: str
    oid: str
    index: str
    descr: str
    value: float
    divisor: float
    multiplier: float
    user_func: str | None
    type: str


def shared_dir() -> Path | None:
    """Return the ``shared`` folder holding ``devices/librenms``, or None when absent.

    ``$DCMON_SHARED_DIR`` (pointing at the ``shared`` folder) wins over ``<repo>/../shared``.
    """
    env = os.environ.get("DCMON_SHARED_DIR")
    base = Path(env) if env else REPO_ROOT.parent / "shared"
    return base if (base / "devices" / "librenms").is_dir() else None


def librenms_dir() -> Path | None:
    """Return ``<shared>/devices/librenms``, or None when the shared folder is absent."""
    base = shared_dir()
    return None if base is None else base / "devices" / "librenms"


def _require_dir() -> Path:
    path = librenms_dir()
    if path is None:
        raise FileNotFoundError(
            "LibreNMS recordings not found: set DCMON_SHARED_DIR to the 'shared' folder"
        )
    return path


def snmprec_dir() -> Path:
    """Return the directory of ``*.snmprec`` files (the snmpsim ``--data-dir``)."""
    return _require_dir() / "snmpsim"


def recordings() -> list[str]:
    """Return the sorted names that have both a ``.snmprec`` and a ``.json`` file."""
    base = librenms_dir()
    if base is None:
        return []
    recs = {p.stem for p in (base / "snmpsim").glob("*.snmprec")}
    return sorted(p.stem for p in (base / "data").glob("*.json") if p.stem in recs)


@cache
def _load_json(name: str) -> dict[str, Any]:
    path = _require_dir() / "data" / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _raw_sensors(name: str) -> list[dict[str, Any]]:
    """Return the sensor dicts holding the expected values (poller if an object, else discovery)."""
    sensors = _load_json(name).get("sensors") or {}
    poller = sensors.get("poller")
    if isinstance(poller, dict):
        return list(poller.get("sensors") or [])
    return list((sensors.get("discovery") or {}).get("sensors") or [])


def expected_sensors(name: str) -> list[Expected]:
    """Return the scorable-candidate sensors of recording ``name`` in file order.

    Excludes ``state`` sensors, ``dateToRuntime`` sensors and :data:`UNSCORABLE`.
    """
    result: list[Expected] = []
    for raw in _raw_sensors(name):
        if raw["sensor_class"] == "state" or raw.get("user_func") == "dateToRuntime":
            continue
        if (name, raw["sensor_index"]) in UNSCORABLE:
            continue
        result.append(
            Expected(
                recording=name,
                sensor_class=raw["sensor_class"],
                oid=str(raw["sensor_oid"]).lstrip("."),
                index=str(raw["sensor_index"]),
                descr=str(raw["sensor_descr"]),
                value=float(raw["sensor_current"]),
                divisor=float(raw["sensor_divisor"] or 0),
                multiplier=float(raw["sensor_multiplier"] or 0),
                user_func=raw.get("user_func"),
                type=str(raw["sensor_type"]),
            )
        )
    return result


def decode_value(tag: str, value: str) -> str:
    """Decode one snmprec value: ``x`` suffix = hex, ``e`` suffix = Python-escaped string.

    Bytes become text as ISO-8859-1 (as snmpsim reads them); a 4-byte IpAddress becomes a
    dotted quad. Other tags are returned unchanged (integers stay decimal strings).
    """
    base, suffix = (tag[:-1], tag[-1]) if tag[-1:] in ("x", "e") else (tag, "")
    if suffix == "x":
        data = bytes.fromhex(value)
    elif suffix == "e":
        data = codecs.escape_decode(value.encode("latin-1"))[0]
    else:
        return value
    if base == "64" and len(data) == 4:  # IpAddress
        return ".".join(str(b) for b in data)
    return data.decode("latin-1")


@cache
def _snmprec(name: str) -> dict[str, tuple[str, str]]:
    """Parse ``<name>.snmprec`` into ``{oid: (tag, decoded value)}``."""
    records: dict[str, tuple[str, str]] = {}
    path = snmprec_dir() / f"{name}.snmprec"
    for line in path.read_text(encoding="latin-1").splitlines():
        parts = line.split("|", 2)
        if len(parts) != 3 or not parts[0] or line.startswith("#"):
            continue
        oid, tag, value = parts
        records[oid.lstrip(".")] = (tag, decode_value(tag, value))
    return records


def raw_tag(name: str, oid: str) -> str | None:
    """Return the snmprec TAG (e.g. ``2``, ``66``, ``4x``) of ``oid`` in ``name``, or None."""
    entry = _snmprec(name).get(oid.lstrip("."))
    return None if entry is None else entry[0]


def raw_value(name: str, oid: str) -> str | None:
    """Return the decoded recorded value of ``oid`` (leading dot optional), or None if absent."""
    entry = _snmprec(name).get(oid.lstrip("."))
    return None if entry is None else entry[1]


def _php_round(v: float, digits: int) -> float:
    """Round half away from zero, like PHP's ``round``."""
    return float(Decimal(repr(v)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def derive(raw: str, divisor: float, multiplier: float, user_func: str | None) -> float | None:
    """Apply LibreNMS ``record_sensor_data`` to a raw value; None if it has no number.

    Raises:
        ValueError: for an unsupported ``user_func`` (e.g. the time-dependent dateToRuntime).
    """
    match = _NUMBER.search(raw)
    if match is None:
        return None
    v = float(match.group())
    if v == -32768:
        v = 0.0
    if divisor and v != 0:
        v = v / divisor
    if multiplier:
        v = v * multiplier
    if user_func == "fahrenheit_to_celsius":
        v = _php_round((v - 32) / 1.8, 2)
    elif user_func == "string_to_float":
        v = _php_round(v, 2)
    elif user_func:
        raise ValueError(f"unsupported user_func {user_func!r}")
    return v


def derivable(expected: Expected, rel_tol: float = 1e-6) -> bool:
    """Return True when ``expected.value`` follows from its own OID's recorded raw value.

    Sensors for which this is False are "not scorable": their expected value depends on
    something else than the recorded OID (or the OID is missing).
    """
    raw = raw_value(expected.recording, expected.oid)
    if raw is None:
        return False
    try:
        got = derive(raw, expected.divisor, expected.multiplier, expected.user_func)
    except ValueError:
        return False
    return got is not None and math.isclose(got, expected.value, rel_tol=rel_tol, abs_tol=1e-12)
