"""A planned simulation's schedule, as a pure function of its settings.

The window is cut into bins, each with a density that the curve gives it; sorted uniform draws
from the simulation's own seeded generator are mapped through the inverse of the cumulative
distribution (piecewise linear, so exact for a piecewise-constant density). A million instants cost
tens of milliseconds; the same settings give the same instants, to the microsecond.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from simulations import timeline_versions

DISTRIBUTIONS = (
    "uniform",
    "front_loaded",
    "back_loaded",
    "bell_curve",
    "random_bursts",
    "business_hours",
    "weekend_surge",
    "custom",
)
CLOCK_CURVES = ("business_hours", "weekend_surge")
MICROSECOND = timedelta(microseconds=1)
# Smooth curves are drawn on this many equal bins; clock curves on local quarter-hours instead.
SMOOTH_BINS = 4096
QUARTER_HOUR_US = 15 * 60 * 1_000_000
HOUR_US = 4 * QUARTER_HOUR_US
DAY_US = 24 * HOUR_US
BELL_SIGMA = 0.15
WEEKEND_WEIGHT = 3.0
# random_bursts: most records fall in a few short bursts, the rest spread thinly over the window.
BURST_SHARE = 0.85
BURST_TIME_SHARE = 0.04


class EmptyCurve(ValueError):
    """The curve gives the window no time at all (say, business hours in a window of one weekend)."""


@dataclass(frozen=True)
class Plan:
    total_records: int
    starts_at: datetime
    ends_at: datetime
    distribution: str = "uniform"
    curve_weights: tuple[float, ...] | None = None
    timezone: str = "UTC"
    # None until simulations.services draws one (plan_seeded); nothing is drawn from an unseeded plan.
    seed: int | None = None
    timeline_version: int = timeline_versions.CURRENT

    @property
    def window_us(self) -> int:
        return (self.ends_at - self.starts_at) // MICROSECOND

    @property
    def drawn_seed(self) -> int:
        if self.seed is None:
            raise ValueError("This plan has no seed yet: simulations.services.plan_seeded gives it one.")
        return self.seed


def curve_check(plan: Plan) -> None:
    """Raise EmptyCurve when the curve gives the window no time (without drawing any instant)."""
    _cdf(plan)


def schedule_offsets(plan: Plan) -> npt.NDArray[np.int64]:
    """Every record's instant as microseconds after `starts_at`, earliest first."""
    edges, cdf = _cdf(plan)
    draws = np.sort(np.random.default_rng(plan.drawn_seed).random(plan.total_records))
    offsets = np.floor(np.interp(draws, cdf, edges)).astype(np.int64)
    return np.minimum(offsets, max(plan.window_us - 1, 0))


@dataclass(frozen=True)
class Clock:
    """A clock curve's own time, in which the funnel's moves are spaced so they keep to the curve's
    hours: `active` is the curve's weight accumulated up to each of `edges` (µs from the window's
    start), so hours the curve leaves empty add nothing, and `rate` is its mean per µs of the window.
    """

    edges: npt.NDArray[np.float64]
    active: npt.NDArray[np.float64]
    rate: float

    def active_at(self, offsets: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The clock's time at these instants of the window."""
        return np.interp(offsets.astype(np.float64), self.edges, self.active)

    def offsets_at(self, active: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """The instants (µs from the start) at which the clock shows these times. Inside the window
        they fall only in hours the curve fills (a time an empty stretch shares with the hours around
        it is read as the end of that stretch, when the curve fills hours again); past its end the
        clock runs at its mean rate."""
        inside = np.interp(active, self.active, self.edges)
        beyond = self.edges[-1] + (active - self.active[-1]) / self.rate
        return np.floor(np.where(active < self.active[-1], inside, beyond)).astype(np.int64)


@lru_cache(maxsize=4)
def curve_clock(plan: Plan) -> Clock | None:
    """The clock of a clock curve (business_hours, weekend_surge); None for the others, which say
    how many records come when, not at which hours of the day or days of the week."""
    if plan.distribution not in CLOCK_CURVES:
        return None
    edges, mass = _clock_density(plan)
    active = np.concatenate(([0.0], np.cumsum(mass)))
    if active[-1] <= 0:
        return None  # an empty curve, which a create refuses
    return Clock(edges=edges, active=active, rate=float(active[-1]) / max(plan.window_us, 1))


def schedule_instants(plan: Plan, *, start: int = 0, stop: int | None = None) -> list[datetime]:
    """Records start..stop of the schedule as datetimes (UTC)."""
    offsets = schedule_offsets(plan)[start:stop]
    return [plan.starts_at + timedelta(microseconds=int(offset)) for offset in offsets]


def schedule_buckets(plan: Plan, *, buckets: int) -> list[tuple[datetime, datetime, int]]:
    """Equal slices that cover the window without gaps, and how many records fall in each."""
    offsets = schedule_offsets(plan)
    bounds = [plan.window_us * i // buckets for i in range(buckets + 1)]
    counts = np.diff(np.searchsorted(offsets, bounds[1:-1], side="left"), prepend=0, append=len(offsets))
    return [(_at(plan, bounds[i]), _at(plan, bounds[i + 1]), int(counts[i])) for i in range(buckets)]


def _at(plan: Plan, offset_us: int) -> datetime:
    return plan.starts_at + timedelta(microseconds=offset_us)


def _cdf(plan: Plan) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    edges, mass = _density(plan)
    cdf = np.concatenate(([0.0], np.cumsum(mass)))
    if cdf[-1] <= 0:
        raise EmptyCurve(
            f"The {plan.distribution} curve leaves no time in this window (in {plan.timezone}) to create "
            "records in: widen the window or pick another distribution."
        )
    return edges, cdf / cdf[-1]


def _density(plan: Plan) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Bin edges (microseconds from the start) and the probability mass of each bin."""
    window = plan.window_us
    if plan.distribution in CLOCK_CURVES:
        return _clock_density(plan)
    if plan.distribution == "custom":
        weights = np.asarray(plan.curve_weights or (), dtype=np.float64)
        edges = np.linspace(0, window, len(weights) + 1)
        return edges, weights / len(weights)
    edges = np.linspace(0, window, SMOOTH_BINS + 1)
    middle = (edges[:-1] + edges[1:]) / 2 / window
    if plan.distribution == "uniform":
        density = np.ones(SMOOTH_BINS)
    elif plan.distribution == "front_loaded":
        density = 2.0 * (1.0 - middle)
    elif plan.distribution == "back_loaded":
        density = 2.0 * middle
    elif plan.distribution == "bell_curve":
        density = np.exp(-0.5 * ((middle - 0.5) / BELL_SIGMA) ** 2)
    elif plan.distribution == "random_bursts":
        density = _bursts(plan, middle)
    else:
        raise ValueError(f"Unknown distribution {plan.distribution!r}; use one of {', '.join(DISTRIBUTIONS)}.")
    return edges, density / SMOOTH_BINS


def _bursts(plan: Plan, middle: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A few bursts placed by the seed (its own stream, apart from the draws), over a thin background."""
    hours = max(plan.window_us / 3_600_000_000, 1.0)
    count = int(min(max(3, math.ceil(hours / 24)), 40))
    rng = np.random.default_rng([plan.drawn_seed, 1])
    width = BURST_TIME_SHARE / count
    centres = rng.uniform(width, 1 - width, size=count)
    heights = rng.uniform(0.5, 1.5, size=count)
    density = np.zeros_like(middle)
    for centre, height in zip(centres, heights, strict=True):
        density[np.abs(middle - centre) < width / 2] += height
    if density.sum() == 0:  # a window too short for a bin to fall inside a burst
        return np.ones_like(middle)
    density *= BURST_SHARE / density.mean()
    return density + (1 - BURST_SHARE)


@lru_cache(maxsize=4)
def _clock_density(plan: Plan) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Weights by local clock: bins end on UTC quarter-hours, which are local quarter-hours in every
    zone in use, so a bin never straddles 09:00, 17:00 or midnight in `timezone`.

    Cached (read-only): the schedule and the funnel's clock both read it, and a year of local
    offsets takes tens of milliseconds to look up."""
    start_us = _epoch_us(plan.starts_at)
    end_us = start_us + plan.window_us
    first = (start_us // QUARTER_HOUR_US + 1) * QUARTER_HOUR_US
    inner = np.arange(first, end_us, QUARTER_HOUR_US, dtype=np.int64)
    absolute = np.concatenate(([start_us], inner, [end_us]))
    local = absolute[:-1] + _utc_offsets_us(absolute[:-1], ZoneInfo(plan.timezone))
    weekday = (local // DAY_US + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    if plan.distribution == "business_hours":
        hour = (local // HOUR_US) % 24
        weights = ((weekday < 5) & (hour >= 9) & (hour < 17)).astype(np.float64)
    else:
        weights = np.where(weekday >= 5, WEEKEND_WEIGHT, 1.0)
    edges = (absolute - start_us).astype(np.float64)
    mass = weights * np.diff(edges)
    edges.setflags(write=False)
    mass.setflags(write=False)
    return edges, mass


def _utc_offsets_us(moments_us: npt.NDArray[np.int64], zone: ZoneInfo) -> npt.NDArray[np.int64]:
    """The zone's UTC offset at each moment. Offsets change a few times a year, so they are looked up
    once per hour of the window and spread over its quarter-hours."""
    hours = moments_us // HOUR_US
    unique_hours, positions = np.unique(hours, return_inverse=True)
    offsets = np.array([_offset_us(zone, int(hour) * HOUR_US) for hour in unique_hours], dtype=np.int64)
    return offsets[positions]


def _offset_us(zone: ZoneInfo, at_us: int) -> int:
    offset = datetime.fromtimestamp(at_us / 1_000_000, tz=UTC).astimezone(zone).utcoffset()
    return offset // MICROSECOND if offset is not None else 0


def _epoch_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // MICROSECOND
