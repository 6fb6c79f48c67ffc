"""Synthetic, seeded history of one site with a retrofit of known effect (tests/cases/retrofit).

Hourly counter readings of a facility meter (``meter1``) and an IT meter (``pdu1``), and an
hourly weather CSV, from the simulator's own plant model (dcmon/sim/physics.py: facility = IT x
(1 + losses) + fixed + cooling, cooling = heat / COP(T)). From the retrofit date the plant's
cooling energy is ``cooling_saving`` lower; the IT load grows by ``load_growth`` over the span;
the weather follows a seasonal curve with day-to-day swings. ``daily_noise`` adds an unrelated
load on the facility meter, constant over a day: an exponentially distributed share of the
facility power with that mean. Everything
comes from ``random.Random(seed)``, so a case folder's numbers are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from dcmon.app.inventory import load_with_profiles
from dcmon.config.resolved import Config
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.report import MvReport
from dcmon.engine.mv.run import retrofit_reports
from dcmon.engine.store import Store
from dcmon.model import Reading, Source
from dcmon.sim.physics import Plant

HOUR = 3600.0
PLANT = Plant(loss_fraction=0.10, fixed_w=1500, cop_ref=4.5, cop_per_c=0.10)
IT_BASE_W = 20_000.0
_SRC = Source("test")


@dataclass
class Truth:
    """What the generator built in: the true avoided energy over a period (kWh)."""

    saving_kwh: float


def _local_midnight(day: dt.date, tz: str) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).timestamp()


def _temps(rng: random.Random, days: int, first: dt.date) -> list[float]:
    """Daily mean °C: a seasonal curve (6 °C mid-January, 28 °C mid-July) plus AR(1) swings."""
    out, swing = [], 0.0
    for d in range(days):
        doy = (first + dt.timedelta(days=d)).timetuple().tm_yday
        swing = 0.7 * swing + rng.gauss(0, 2.0)
        out.append(17 - 11 * math.cos(2 * math.pi * (doy - 20) / 365) + swing)
    return out


def generate(params: Mapping[str, Any], tz: str, out_dir: Path,
             reporting: tuple[dt.date, dt.date]) -> tuple[list[Reading], Truth]:
    """Readings and ``out_dir/weather.csv``; the truth over the ``reporting`` days."""
    rng = random.Random(params["seed"])
    first, last = params["start"], params["end"]
    retrofit, saving = params["retrofit"], params["cooling_saving"]
    days = (last - first).days + 1
    t0, t_ret = _local_midnight(first, tz), _local_midnight(retrofit, tz)
    r0 = _local_midnight(reporting[0], tz)
    r1 = _local_midnight(reporting[1] + dt.timedelta(days=1), tz)
    temps = _temps(rng, days, first)
    readings: list[Reading] = []
    weather = ["timestamp,outdoor_c"]
    e_fac = e_it = 0.0
    truth = 0.0
    for d in range(days):
        extra = params["daily_noise"] * rng.expovariate(1.0)
        weekday = (first + dt.timedelta(days=d)).weekday()
        for h in range(24):
            t = t0 + (d * 24 + h) * HOUR
            readings.append(_counter("meter1", e_fac, t))
            readings.append(_counter("pdu1", e_it, t))
            temp = temps[d] + 4 * math.sin(2 * math.pi * (h - 9) / 24) + rng.gauss(0, 0.5)
            weather.append(f"{dt.datetime.fromtimestamp(t, dt.UTC).isoformat()},{temp:.2f}")
            growth = 1 + params["load_growth"] * d / days
            it_w = IT_BASE_W * growth * (1 + 0.1 * math.sin(2 * math.pi * (h - 8) / 24)) \
                * (0.95 if weekday >= 5 else 1.0)
            cooling = PLANT.cooling_w(it_w, temp)
            cut = saving * cooling if t >= t_ret else 0.0
            fac_w = PLANT.facility_w(it_w, temp) - cut
            fac_w *= 1 + extra
            e_fac += fac_w * HOUR
            e_it += it_w * HOUR
            if r0 <= t < r1:
                truth += cut * HOUR / 3.6e6
    end = t0 + days * 24 * HOUR
    readings += [_counter("meter1", e_fac, end), _counter("pdu1", e_it, end)]
    (out_dir / "weather.csv").write_text("\n".join(weather) + "\n", encoding="utf-8")
    return readings, Truth(truth)


def _counter(device: str, joules: float, ts: float) -> Reading:
    return Reading(device, "energy", joules, "J", {}, ts, _SRC, kind="counter", level="total",
                   counter_max=2.0**64)


#: Any time after the reporting period: reports stop at its declared end.
LATER = 1.9e9
FACTOR = 0.5703  # kg CO2/kWh: an explicit test number (Part A ships the real factors)


def run_case(case: Path, tmp: Path) -> tuple[MvReport, Truth, Config, dict[str, Any]]:
    """Generate ``case``'s history into ``tmp`` (inventory, weather, the state store of
    ``dcmon run``) and verify its retrofit as ``dcmon retrofit`` does."""
    shutil.copy(case / "config.yaml", tmp / "config.yaml")
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    raw = yaml.safe_load((case / "config.yaml").read_text(encoding="utf-8"))
    site = raw["sites"][0]
    r = site["retrofits"][0]
    rep = r["reporting"]
    readings, truth = generate(spec["generate"], site["energy"]["timezone"], tmp,
                               (rep["start"], rep["end"]))
    cfg, _ = load_with_profiles(tmp / "config.yaml")
    engine = EnergyEngine(cfg, Store(tmp / "dcmon-state" / "dcmon.sqlite"))
    engine.ingest(readings)
    engine.flush()
    [report] = retrofit_reports(cfg, engine, LATER, lambda c, s, t: (FACTOR, "test factor"))
    return report, truth, cfg, spec
