"""The scheduler's jobs in ``dcmon run``: one poll job per device, results and alerts.

Kept apart from :mod:`dcmon.app.service` because a reload (:mod:`dcmon.app.reload`) adds,
replaces and removes poll jobs exactly as the start adds them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from dcmon import clock
from dcmon.app.poller import Poller
from dcmon.config.resolved import DeviceSpec

#: Recompute and alert jobs never run more often than this (wall seconds), however fast the
#: data clock runs: at 120x a 60 s interval would otherwise recompute twice a second.
MIN_JOB_WALL_S = 1.0

ALERTS_JOB = "alerts"


def job_every(data_seconds: float) -> float:
    """A job interval in wall seconds (data seconds on an accelerated clock, at least 1 s)."""
    return max(MIN_JOB_WALL_S, clock.wall(data_seconds)) if clock.speed() != 1 else data_seconds


def poll_job_id(device_id: str) -> str:
    return f"poll:{device_id}"


def first_offsets(devices: Sequence[DeviceSpec]) -> dict[str, float]:
    """Start offsets (wall s) that spread the first polls evenly over each device's interval.

    Devices are shuffled, then the i-th of n starts at a random point of the i-th n-th of its
    interval: 1,000 devices start at a steady rate instead of in a burst or in random clumps.
    A first poll so paced waits for no slot (dcmon/app/poller.py): this rate is what paces it.
    """
    order = random.sample(list(devices), len(devices))
    n = len(order)
    return {d.id: clock.wall(d.interval) * (i + random.random()) / n
            for i, d in enumerate(order)}


def add_poll_job(scheduler: AsyncIOScheduler, poller: Poller, dev: DeviceSpec,
                 now: datetime | None = None, offset: float | None = None, *,
                 spread: bool = False, spread_s: float | None = None) -> None:
    """Schedule ``dev``'s polls, replacing a job it already has. The first poll comes after
    ``offset`` (wall s), or at a random point within ``spread_s`` (default: one interval);
    ``spread``: the offsets pace the first polls, so a first poll takes no slot."""
    now = now or datetime.now().astimezone()
    every = clock.wall(dev.interval)  # data seconds -> wall (dcmon/clock.py)
    if offset is None:
        window = every if spread_s is None else min(every, spread_s)
        offset = random.uniform(0, window) if clock.speed() == 1 else 0.0
    scheduler.add_job(
        poller.scheduled_poll, _trigger(every), args=(dev, spread), id=poll_job_id(dev.id),
        name=f"poll {dev.id}", max_instances=1, coalesce=True,
        misfire_grace_time=max(1, int(every)), replace_existing=True,
        next_run_time=now + timedelta(seconds=offset),
    )


#: One interval trigger per interval, shared by the poll jobs: a trigger holds no per-job
#: state (a job's next run follows its own previous one), and a city's 10,000 jobs each with
#: its own trigger and keyword dict were ~3.5 MB of the scheduler's ~9.5 MB.
_TRIGGERS: dict[float, IntervalTrigger] = {}


def _trigger(every: float) -> IntervalTrigger:
    trigger = _TRIGGERS.get(every)
    if trigger is None:
        if len(_TRIGGERS) >= 1000:  # intervals come from inventories; reloads may change them
            _TRIGGERS.clear()
        trigger = _TRIGGERS[every] = IntervalTrigger(seconds=every)
    return trigger
