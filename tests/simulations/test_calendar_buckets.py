"""The detail page's schedule chart: records per whole hour, day or week of the simulation's zone."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from simulations.calendar_buckets import calendar_bounds, calendar_buckets, calendar_unit
from simulations.curves import Plan, schedule_offsets

BERLIN = ZoneInfo("Europe/Berlin")


def local(bound: datetime, zone: ZoneInfo) -> datetime:
    return bound.astimezone(zone)


def test_the_unit_follows_the_window_length() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    assert calendar_unit(start, start + timedelta(hours=5)) == "hour"
    assert calendar_unit(start, start + timedelta(days=3)) == "hour"
    assert calendar_unit(start, start + timedelta(days=3, seconds=1)) == "day"
    assert calendar_unit(start, start + timedelta(days=92)) == "day"
    assert calendar_unit(start, start + timedelta(days=93)) == "week"


def test_hours_are_whole_hours_of_a_half_hour_zone() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    start = datetime(2026, 5, 1, 3, 10, tzinfo=UTC)  # 08:40 in Kolkata
    bounds = calendar_bounds(start, start + timedelta(hours=5), zone, "hour")
    assert local(bounds[0], zone) == datetime(2026, 5, 1, 8, 0, tzinfo=zone)
    assert all(local(b, zone).minute == 0 for b in bounds)
    assert bounds[0] <= start and bounds[-1] >= start + timedelta(hours=5)
    assert len(bounds) == 7  # 08:00 .. 14:00


def test_hours_across_the_autumn_change_of_clocks_count_the_repeated_hour() -> None:
    start = datetime(2026, 10, 24, tzinfo=BERLIN)
    end = datetime(2026, 10, 26, tzinfo=BERLIN)
    bounds = calendar_bounds(start, end, BERLIN, "hour")
    # 24 + 25 hours: 02:00 to 03:00 on the 25th happens twice.
    assert len(bounds) - 1 == 49
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(bounds))
    assert [local(b, BERLIN).hour for b in bounds[24:29]] == [0, 1, 2, 2, 3]


def test_days_start_at_local_midnight_and_the_spring_change_makes_a_23_hour_day() -> None:
    start = datetime(2026, 3, 27, 15, 30, tzinfo=BERLIN)
    end = datetime(2026, 4, 1, 9, 0, tzinfo=BERLIN)
    bounds = calendar_bounds(start, end, BERLIN, "day")
    assert [local(b, BERLIN).date().isoformat() for b in bounds] == [
        "2026-03-27",
        "2026-03-28",
        "2026-03-29",
        "2026-03-30",
        "2026-03-31",
        "2026-04-01",
        "2026-04-02",
    ]
    assert all(local(b, BERLIN).time().isoformat() == "00:00:00" for b in bounds)
    lengths = [(b - a) / timedelta(hours=1) for a, b in pairwise(bounds)]
    assert lengths == [24, 24, 23, 24, 24, 24]  # clocks go forward on Sunday 29 March


def test_weeks_start_on_monday_in_the_zone() -> None:
    zone = ZoneInfo("Pacific/Auckland")
    start = datetime(2026, 1, 7, 12, tzinfo=zone)  # a Wednesday
    bounds = calendar_bounds(start, start + timedelta(days=120), zone, "week")
    assert local(bounds[0], zone) == datetime(2026, 1, 5, tzinfo=zone)
    assert all(local(b, zone).weekday() == 0 and local(b, zone).hour == 0 for b in bounds)
    # Auckland leaves summer time on 5 April 2026: that week is an hour longer.
    lengths = {(b - a) / timedelta(hours=1) for a, b in pairwise(bounds)}
    assert lengths == {168, 169}


def test_business_hours_give_level_weekdays_and_empty_weekends() -> None:
    plan = Plan(
        total_records=2000,
        starts_at=datetime(2026, 3, 2, 7, 13, tzinfo=UTC),
        ends_at=datetime(2026, 3, 16, 7, 13, tzinfo=UTC),
        distribution="business_hours",
        timezone="Europe/Berlin",
        seed=5,
    )
    unit, buckets = calendar_buckets(
        schedule_offsets(plan), starts_at=plan.starts_at, ends_at=plan.ends_at, timezone=plan.timezone
    )
    assert unit == "day"
    assert sum(count for _, _, count in buckets) == 2000
    weekdays = [count for start, _, count in buckets if local(start, BERLIN).weekday() < 5]
    weekends = [count for start, _, count in buckets if local(start, BERLIN).weekday() >= 5]
    assert weekends == [0, 0, 0, 0]
    # Ten working days of about 200 records each; the window ends on the eleventh before 09:00.
    assert len(weekdays) == 11 and weekdays[-1] == 0
    assert max(weekdays[:10]) < 1.35 * min(weekdays[:10]), weekdays


@pytest.mark.django_db
def test_the_schedule_endpoint_answers_days_of_the_simulations_zone(api_client: APIClient) -> None:
    body: dict[str, Any] = {
        "theme": "Ferries",
        "industry": "Transport",
        "total_records": 300,
        "seed": 9,
        "scenario": "b2c",
        "deal_rate": 0,
        "timezone": "Pacific/Auckland",
        "distribution": "business_hours",
        "starts_at": "2026-01-05T09:30:00+13:00",
        "ends_at": "2026-01-19T09:30:00+13:00",
    }
    created = api_client.post("/api/simulations/", body, format="json")
    assert created.status_code == 201, created.content

    schedule = api_client.get(f"/api/simulations/{created.json()['id']}/schedule/").json()

    zone = ZoneInfo("Pacific/Auckland")
    starts = [datetime.fromisoformat(b["start"]).astimezone(zone) for b in schedule["buckets"]]
    assert schedule["unit"] == "day"
    assert starts[0] == datetime(2026, 1, 5, tzinfo=zone)
    assert all(s.hour == 0 and s.minute == 0 for s in starts)
    assert [b["end"] for b in schedule["buckets"][:-1]] == [b["start"] for b in schedule["buckets"][1:]]
    assert sum(b["count"] for b in schedule["buckets"]) == 300
    assert all(b["count"] == 0 for b, s in zip(schedule["buckets"], starts, strict=True) if s.weekday() >= 5)
