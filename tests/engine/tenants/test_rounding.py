"""Largest-remainder rounding: the rounded parts always add up to the rounded whole."""

from __future__ import annotations

import random

import pytest

from dcmon.engine.tenants.rounding import apportion, from_units, units


def test_thirds_add_up() -> None:
    # Rounded one by one, three thirds of 1.00 are 0.99.
    assert apportion(1.0, [1 / 3] * 3, 0.01) == [34, 33, 33]


def test_ties_go_to_the_earlier_part_and_halves_round_up() -> None:
    assert apportion(0.03, [0.015, 0.015], 0.01) == [2, 1]
    assert units(2.675, 0.01) == 268 and units(-2.675, 0.01) == -268
    assert from_units(1234, 0.01) == 12.34


def test_parts_that_do_not_sum_to_the_total_still_do_after() -> None:
    assert sum(apportion(10.0, [1.0, 2.0], 0.01)) == 1000
    assert sum(apportion(1.0, [2.0, 3.0], 0.01)) == 100


@pytest.mark.parametrize("seed", range(20))
def test_random_parts(seed: int) -> None:
    rng = random.Random(seed)
    parts = [rng.uniform(0, 1000) for _ in range(rng.randint(1, 12))]
    got = apportion(sum(parts), parts, 0.01)
    assert sum(got) == units(sum(parts), 0.01)
    assert all(abs(g - p * 100) < 1 for g, p in zip(got, parts, strict=True))
