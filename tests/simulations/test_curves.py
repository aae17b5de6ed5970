"""The schedule of a planned simulation: each curve's property from the contract, on 10,000 seeded records."""

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from simulations.curves import DISTRIBUTIONS, EmptyCurve, Plan, curve_check, schedule_buckets, schedule_offsets

START = datetime(2031, 3, 3, 6, 17, 4, 250001, tzinfo=UTC)  # a Monday; the window crosses a DST change
RECORDS = 10_000


def plan(distribution: str, *, days: float = 30, **overrides: object) -> Plan:
    fields: dict[str, object] = {
        "total_records": RECORDS,
        "starts_at": START,
        "ends_at": START + timedelta(days=days),
        "distribution": distribution,
        "timezone": "Europe/Berlin",
        "seed": 20311,
    }
    fields.update(overrides)
    return Plan(**fields)  # type: ignore[arg-type]


def instants(schedule: Plan) -> list[datetime]:
    return [schedule.starts_at + timedelta(microseconds=int(offset)) for offset in schedule_offsets(schedule)]


def share_between(offsets: np.ndarray, window: int, low: float, high: float) -> float:
    return float(((offsets >= low * window) & (offsets < high * window)).mean())


@pytest.mark.parametrize("distribution", [d for d in DISTRIBUTIONS if d != "custom"])
def test_every_curve_gives_every_record_an_instant_inside_the_window_in_order(distribution: str) -> None:
    schedule = plan(distribution)
    offsets = schedule_offsets(schedule)

    assert len(offsets) == RECORDS
    assert np.all(np.diff(offsets) >= 0)
    assert offsets[0] >= 0 and offsets[-1] < schedule.window_us


def test_uniform_gives_every_equal_slice_the_same_share() -> None:
    counts = [count for _, _, count in schedule_buckets(plan("uniform"), buckets=10)]

    assert sum(counts) == RECORDS
    assert all(abs(count - RECORDS / 10) < 4 * np.sqrt(RECORDS / 10) for count in counts), counts


@pytest.mark.parametrize(("distribution", "low", "high"), [("front_loaded", 0, 0.5), ("back_loaded", 0.5, 1)])
def test_front_and_back_loaded_put_most_records_in_their_half(distribution: str, low: float, high: float) -> None:
    schedule = plan(distribution)

    assert share_between(schedule_offsets(schedule), schedule.window_us, low, high) >= 0.6


def test_bell_curve_puts_most_records_in_the_middle_half() -> None:
    schedule = plan("bell_curve")

    assert share_between(schedule_offsets(schedule), schedule.window_us, 0.25, 0.75) >= 0.6


def test_random_bursts_put_half_the_records_in_a_tenth_of_the_hours() -> None:
    schedule = plan("random_bursts")
    hours = Counter(int(offset // 3_600_000_000) for offset in schedule_offsets(schedule))
    window_hours = int(np.ceil(schedule.window_us / 3_600_000_000))

    busiest = sum(count for _, count in hours.most_common(window_hours // 10))
    assert busiest >= RECORDS / 2
    other_seed = schedule_offsets(plan("random_bursts", seed=7)) // 3_600_000_000
    assert set(hours) != set(other_seed.tolist())  # the seed places the bursts


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_business_hours_fall_monday_to_friday_nine_to_five_in_the_time_zone(zone: str) -> None:
    local = [moment.astimezone(ZoneInfo(zone)) for moment in instants(plan("business_hours", timezone=zone))]

    assert all(moment.weekday() < 5 and 9 <= moment.hour < 17 for moment in local)
    assert len({moment.date() for moment in local}) >= 20  # spread over the working days, not one


def test_weekend_surge_gives_each_weekend_day_twice_a_weekday() -> None:
    local = [moment.astimezone(ZoneInfo("Europe/Berlin")) for moment in instants(plan("weekend_surge", days=28))]
    per_day = Counter(moment.date() for moment in local)
    weekend = [count for day, count in per_day.items() if day.weekday() >= 5]
    weekdays = [count for day, count in per_day.items() if day.weekday() < 5]

    assert min(weekend) >= 2 * max(weekdays[1:-1])  # the window's first and last days are partial


def test_custom_weights_shape_equal_slices_of_the_window() -> None:
    schedule = plan("custom", curve_weights=(0.0, 3.0, 1.0, 0.0))
    counts = [count for _, _, count in schedule_buckets(schedule, buckets=4)]

    assert counts[0] == counts[3] == 0
    assert 2.6 < counts[1] / counts[2] < 3.4


def test_the_same_inputs_give_the_same_instants_to_the_microsecond_and_another_seed_others() -> None:
    first = instants(plan("bell_curve"))

    assert instants(plan("bell_curve")) == first
    assert instants(plan("bell_curve", seed=20312)) != first
    assert any(moment.microsecond not in (0, START.microsecond) for moment in first)


def test_a_million_instants_are_cheap_enough_to_plan_on_create() -> None:
    offsets = schedule_offsets(plan("uniform", total_records=1_000_000, days=366))

    assert len(offsets) == 1_000_000 and np.all(np.diff(offsets) >= 0)


def test_business_hours_in_a_window_without_any_refuses_to_schedule() -> None:
    weekend = Plan(
        total_records=10,
        starts_at=datetime(2031, 3, 8, 0, 0, tzinfo=UTC),  # Saturday
        ends_at=datetime(2031, 3, 9, 20, 0, tzinfo=UTC),
        distribution="business_hours",
        timezone="UTC",
    )

    with pytest.raises(EmptyCurve, match="no time in this window"):
        curve_check(weekend)


def test_buckets_cover_the_window_without_gaps_and_count_every_record() -> None:
    schedule = plan("front_loaded", total_records=997)
    buckets = schedule_buckets(schedule, buckets=48)

    assert buckets[0][0] == schedule.starts_at and buckets[-1][1] == schedule.ends_at
    assert all(previous[1] == current[0] for previous, current in itertools.pairwise(buckets))
    assert sum(count for _, _, count in buckets) == 997
