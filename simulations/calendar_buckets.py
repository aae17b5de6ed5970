"""A schedule counted per whole hour, day or week of the simulation's own clock, for its chart.

Equal slices of a window (the preview's buckets) cut across days, so a business-hours run shows
bars that swing with how much of a working day each slice happens to hold. Calendar periods of the
simulation's time zone do not: a day is a day, 23 or 25 hours long on a change of clocks.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from simulations.curves import MICROSECOND

Unit = Literal["hour", "day", "week"]
# At most 72 hourly, 93 daily or 54 weekly bars: enough to read, few enough to draw.
HOURS_UP_TO = timedelta(days=3)
DAYS_UP_TO = timedelta(days=92)


def calendar_unit(starts_at: datetime, ends_at: datetime) -> Unit:
    """Hours for a window of up to 3 days, days up to 92 days, weeks beyond."""
    length = ends_at - starts_at
    if length <= HOURS_UP_TO:
        return "hour"
    return "day" if length <= DAYS_UP_TO else "week"


def calendar_bounds(starts_at: datetime, ends_at: datetime, zone: ZoneInfo, unit: Unit) -> list[datetime]:
    """The edges (UTC) of the whole hours, days or weeks (Monday first) of `zone` that cover the window."""
    local = starts_at.astimezone(zone)
    if unit == "hour":
        # Stepping an hour at a time in UTC keeps local minutes at :00 across a change of clocks,
        # which moves by whole hours (and keeps :30 zones on their half hours).
        bounds = [local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)]
        while bounds[-1] < ends_at:
            bounds.append(bounds[-1] + timedelta(hours=1))
        return bounds
    day = local.date()
    step = timedelta(days=1)
    if unit == "week":
        day -= timedelta(days=day.weekday())
        step = timedelta(days=7)
    bounds = [_midnight(day, zone)]
    while bounds[-1] < ends_at:
        day += step
        bounds.append(_midnight(day, zone))
    return bounds


def calendar_buckets(
    offsets_us: npt.NDArray[np.int64], *, starts_at: datetime, ends_at: datetime, timezone: str
) -> tuple[Unit, list[tuple[datetime, datetime, int]]]:
    """Records (sorted offsets in microseconds after `starts_at`) per hour, day or week of `timezone`."""
    zone = ZoneInfo(timezone or "UTC")
    unit = calendar_unit(starts_at, ends_at)
    bounds = calendar_bounds(starts_at, ends_at, zone, unit)
    relative = [(bound - starts_at) // MICROSECOND for bound in bounds]
    below = np.searchsorted(offsets_us, relative, side="left")
    return unit, [(bounds[i], bounds[i + 1], int(below[i + 1] - below[i])) for i in range(len(bounds) - 1)]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
