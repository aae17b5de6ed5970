"""A planned simulation's whole timeline, as a pure function of its settings and seed.

Beside its contacts (the schedule of `curves`), a simulation has companies (in `b2b`, one per
group of about `contacts_per_company` consecutive contacts, created at its first contact's
instant) and a funnel: each contact may move on to `marketingqualifiedlead`, `salesqualifiedlead`
and `opportunity` (a deal opens), and its deal through the pipeline to `closedwon` or `closedlost`.
Every such move is an entry of the timeline, at a seeded instant; moves at or after `ends_at` are
left out, so a simulation ends with records part-way through the funnel. Under a clock curve
(business_hours, weekend_surge) the delays between moves pass in the curve's own time (curves.Clock),
so the moves keep to its hours as the contacts do.

The planner turns the timeline, in time order, into jobs. Draws are made in blocks of BLOCK
records, each block from its own generator, so the first entries of a huge simulation can be
computed from its first records alone (a create answers quickly) and agree with the whole.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from simulations import timeline_versions
from simulations.curves import Plan, curve_clock, schedule_offsets

BLOCK = 4096
_FUNNEL_SALT = 0x46554E4E  # "FUNN": the funnel's generators are apart from the schedule's
_COMPANY_SALT = 0x434F4D50  # "COMP"
DAY_US = 86_400_000_000
# Shares of sales_cycle_days that each step takes on average; they sum to 1, so a contact that
# closes does so about sales_cycle_days after its creation.
STEP_SHARES = (0.15, 0.15, 0.2, 0.5)
DELAY_SIGMA = 0.5  # log-normal spread of each step's delay
MIN_DELAY_US = 1_000_000
# A won deal passes each open stage between the first and the close with this probability.
OPEN_STAGE_SHARE = 0.7
OPEN_STAGES = 4  # qualifiedtobuy, presentationscheduled, decisionmakerboughtin, contractsent
AMOUNT_SIGMA = 0.8


class Step(IntEnum):
    """The step codes of simulations' own kinds (simulations/kinds/): at one instant, entries run in code
    order. Released codes never change; a new kind's steps take codes from 10 up."""

    COMPANY = 0
    CONTACT = 1
    MQL = 2
    SQL = 3
    DEAL = 4
    QUALIFIED = 5
    PRESENTATION = 6
    DECISION = 7
    CONTRACT = 8
    CLOSE = 9


@dataclass(frozen=True)
class CrmSettings:
    scenario: str = "b2b"
    contacts_per_company: int = 3
    deal_rate: float = 0.3
    win_rate: float = 0.25
    sales_cycle_days: int = 30
    activity_level: str = "normal"  # how many activities tell its story (activities.story.LEVELS)

    @property
    def has_companies(self) -> bool:
        return self.scenario == "b2b"


CONTACTS_ONLY = CrmSettings(scenario="b2c", deal_rate=0.0, activity_level="none")


@dataclass(frozen=True)
class Draws:
    """Each contact's funnel, for contacts 0..n-1 (µs offsets from the window's start)."""

    company: npt.NDArray[np.int64]  # the company index of each contact (-1 in b2c)
    company_first: npt.NDArray[np.int64]  # the first contact of each company
    mql_at: npt.NDArray[np.int64]
    sql_at: npt.NDArray[np.int64]
    deal_at: npt.NDArray[np.int64]
    close_at: npt.NDArray[np.int64]
    stage_at: npt.NDArray[np.int64]  # (n, OPEN_STAGES) instants of the open stages
    stage_taken: npt.NDArray[np.bool_]  # (n, OPEN_STAGES) whether the deal passes each
    reaches: npt.NDArray[np.int8]  # 0 lead only .. 3 opportunity
    won: npt.NDArray[np.bool_]
    amount: npt.NDArray[np.float64]
    offering: npt.NDArray[np.int64]


@dataclass(frozen=True)
class Timeline:
    """Entries in time order: (offset µs, step code, index). The index is a contact's (or, for COMPANY, a
    company's); `facts` are what the entries' jobs read, by name (simulations.kinds)."""

    at: npt.NDArray[np.int64]
    step: npt.NDArray[np.int8]
    index: npt.NDArray[np.int64]
    facts: dict[str, Any]
    # The length of the whole timeline, when this was computed from all its records.
    total: int | None

    def __len__(self) -> int:
        return len(self.at)


@lru_cache(maxsize=4)
def plan_offsets(plan: Plan) -> npt.NDArray[np.int64]:
    """The schedule's instants as µs offsets, cached: a top-up needs a slice of a million of them."""
    offsets = schedule_offsets(plan)
    offsets.setflags(write=False)
    return offsets


def timeline_head(plan: Plan, crm: CrmSettings, *, count: int) -> Timeline:
    """The first `count` entries of the timeline, computed from the fewest records that decide them.

    Every entry of a contact comes at or after its own instant, so the entries up to the instant of
    contact count-1 belong to the contacts up to that instant (at least `count` of them).
    """
    offsets = plan_offsets(plan)
    if count >= len(offsets):
        return _sliced(_timeline_cached(plan, crm), 0, count)
    contacts = int(np.searchsorted(offsets, offsets[count - 1], side="right"))
    if contacts >= len(offsets):
        return _sliced(_timeline_cached(plan, crm), 0, count)
    return _sliced(_timeline(plan, crm, contacts=contacts), 0, count, whole=False)


def timeline_slice(plan: Plan, crm: CrmSettings, *, start: int, count: int) -> Timeline:
    """Entries start..start+count-1 of the whole timeline (computed once per process and simulation)."""
    if start == 0:
        return timeline_head(plan, crm, count=count)
    return _sliced(_timeline_cached(plan, crm), start, count)


@lru_cache(maxsize=2)
def _timeline_cached(plan: Plan, crm: CrmSettings) -> Timeline:
    return _timeline(plan, crm, contacts=plan.total_records)


def _sliced(timeline: Timeline, start: int, count: int, *, whole: bool = True) -> Timeline:
    stop = start + count
    return Timeline(
        at=timeline.at[start:stop],
        step=timeline.step[start:stop],
        index=timeline.index[start:stop],
        facts=timeline.facts,
        total=len(timeline) if whole else None,
    )


# Entries of one instant are ordered by their step's code: instant * STEP_CODES + code.
STEP_CODES = 64


@dataclass(frozen=True)
class TimelineContext:
    """What a record kind's timeline entries are drawn from: the plan, its CRM settings, the first
    contacts' instants (µs from the window's start) and their funnel's draws."""

    plan: Plan
    crm: CrmSettings
    offsets: npt.NDArray[np.int64]
    draws: Draws


@dataclass(frozen=True)
class TimelinePart:
    """Entries of one step: their instants (µs from the window's start) and record indexes.

    Each entry belongs to a contact and comes at or after that contact's instant, so the first
    entries of a huge timeline can be computed from its first contacts alone (timeline_head).
    """

    code: int
    at: npt.NDArray[np.int64]
    index: npt.NDArray[np.int64]


# A record kind's entries and the facts their jobs read (simulations.kinds registers each kind's).
TimelineContributor = Callable[[TimelineContext], tuple[list[TimelinePart], dict[str, Any]]]
_contributors: list[tuple[int, TimelineContributor]] = []


def timeline_contributor_register(since_version: int, contributor: TimelineContributor) -> None:
    """Entries from this contributor enter timelines of `since_version` on, in registration order."""
    if all(registered is not contributor for _, registered in _contributors):
        _contributors.append((since_version, contributor))


def _timeline(plan: Plan, crm: CrmSettings, *, contacts: int) -> Timeline:
    """The entries of the kinds in the plan's timeline version (simulations.kinds), from its first `contacts`."""
    offsets = plan_offsets(plan)[:contacts]
    context = TimelineContext(plan=plan, crm=crm, offsets=offsets, draws=funnel_draws(plan, crm, offsets))
    parts: list[TimelinePart] = []
    facts: dict[str, Any] = {}
    for since_version, contributor in _contributors:
        if since_version <= plan.timeline_version:
            kind_parts, kind_facts = contributor(context)
            parts += kind_parts
            facts |= kind_facts
    instants = np.concatenate([part.at for part in parts])
    steps = np.concatenate([np.full(len(part.at), part.code, dtype=np.int8) for part in parts])
    indexes = np.concatenate([part.index for part in parts])
    # Each step is one part, in index order: a stable sort on (instant, step) keeps that.
    order = np.argsort(instants * STEP_CODES + steps, kind="stable")
    return Timeline(at=instants[order], step=steps[order], index=indexes[order], facts=facts, total=len(instants))


# Above this many contacts a forecast draws an evenly spaced sample and scales it up, so a preview of a
# million records stays quick (the draws of a million contacts take about a second).
FORECAST_SAMPLE = 100_000


def forecast_context(plan: Plan, crm: CrmSettings) -> tuple[TimelineContext, float]:
    """The timeline's context for an evenly spaced sample of at most FORECAST_SAMPLE contacts, and the factor
    that scales a count of the sample up to the whole run."""
    offsets = plan_offsets(plan)
    stride = math.ceil(len(offsets) / FORECAST_SAMPLE)
    sample = offsets[::stride]
    context = TimelineContext(plan=plan, crm=crm, offsets=sample, draws=funnel_draws(plan, crm, sample))
    return context, len(offsets) / max(len(sample), 1)


def timeline_step_counts(plan: Plan, crm: CrmSettings) -> dict[int, int]:
    """How many entries of each step the whole timeline has, estimated from a sample of its contacts."""
    context, scale = forecast_context(plan, crm)
    counts: dict[int, int] = {}
    for since_version, contributor in _contributors:
        if since_version <= plan.timeline_version:
            for part in contributor(context)[0]:
                counts[part.code] = counts.get(part.code, 0) + len(part.at)
    return {code: round(count * scale) for code, count in counts.items()}


def funnel_draws(plan: Plan, crm: CrmSettings, offsets: npt.NDArray[np.int64]) -> Draws:
    """Every contact's funnel, drawn in blocks of BLOCK contacts from the simulation's seed."""
    n = len(offsets)
    blocks = math.ceil(n / BLOCK)
    uniform = np.empty((blocks * BLOCK, 10))
    normal = np.empty((blocks * BLOCK, 5))
    stage_share = np.empty((blocks * BLOCK, OPEN_STAGES))
    for block in range(blocks):
        rng = np.random.default_rng([plan.drawn_seed, _FUNNEL_SALT, block])
        rows = slice(block * BLOCK, (block + 1) * BLOCK)
        uniform[rows] = rng.random((BLOCK, 10))
        normal[rows] = rng.standard_normal((BLOCK, 5))
        stage_share[rows] = np.sort(rng.random((BLOCK, OPEN_STAGES)), axis=1)
    uniform, normal, stage_share = uniform[:n], normal[:n], stage_share[:n]

    # Each of the three conversions passes with probability q, so q**3 of contacts open a deal.
    q = crm.deal_rate ** (1 / 3)
    passes = uniform[:, 0:3] < q
    reaches = (passes[:, 0].astype(np.int8) + (passes[:, 0] & passes[:, 1]) + (passes.all(axis=1))).astype(np.int8)
    cycle_us = crm.sales_cycle_days * DAY_US
    delays = [
        np.maximum(
            (share * cycle_us * np.exp(DELAY_SIGMA * normal[:, k] - DELAY_SIGMA**2 / 2)).astype(np.int64), MIN_DELAY_US
        )
        for k, share in enumerate(STEP_SHARES)
    ]
    clock = curve_clock(plan) if plan.timeline_version >= timeline_versions.MOVES_KEEP_THE_CURVE_CLOCK else None
    if clock is None:
        mql_at = offsets + delays[0]
        sql_at = mql_at + delays[1]
        deal_at = sql_at + delays[2]
        close_at = deal_at + delays[3]
    else:
        # Under a clock curve, delays pass in the curve's own time, so every move keeps to its hours.
        chain = np.cumsum([clock.active_at(offsets), *(delay * clock.rate for delay in delays)], axis=0)
        mql_at, sql_at, deal_at, close_at = (clock.offsets_at(at) for at in chain[1:])
    won = uniform[:, 3] < crm.win_rate
    # A lost deal falls away after its first 0 to 4 open stages; a won one passes most of them.
    lost_after = np.floor(uniform[:, 4] * (OPEN_STAGES + 1)).astype(np.int64)
    taken_if_won = uniform[:, 5:9] < OPEN_STAGE_SHARE
    taken_if_lost = np.arange(OPEN_STAGES)[None, :] < lost_after[:, None]
    stage_taken = np.where(won[:, None], taken_if_won, taken_if_lost)
    if clock is None:
        span = (close_at - deal_at).astype(np.float64)
        stage_at = deal_at[:, None] + (stage_share * span[:, None]).astype(np.int64)
    else:
        stage_at = clock.offsets_at(chain[3][:, None] + stage_share * (chain[4] - chain[3])[:, None])
    stage_at = np.maximum(np.minimum(stage_at, (close_at - 1)[:, None]), deal_at[:, None] + 1)
    amount = np.exp(AMOUNT_SIGMA * normal[:, 4])
    offering = np.floor(uniform[:, 9] * len(OFFERINGS)).astype(np.int64)
    company, company_first = _companies(plan, crm, n)
    return Draws(
        company=company,
        company_first=company_first,
        mql_at=mql_at,
        sql_at=sql_at,
        deal_at=deal_at,
        close_at=close_at,
        stage_at=stage_at,
        stage_taken=stage_taken,
        reaches=reaches,
        won=won,
        amount=amount,
        offering=offering,
    )


def _companies(plan: Plan, crm: CrmSettings, contacts: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Consecutive contacts share a company, in groups of about contacts_per_company (seeded sizes)."""
    if not crm.has_companies or contacts == 0:
        return np.full(contacts, -1, dtype=np.int64), np.empty(0, dtype=np.int64)
    first = _company_firsts(plan.drawn_seed, crm.contacts_per_company, contacts)
    company = np.searchsorted(first, np.arange(contacts), side="right").astype(np.int64) - 1
    return company, first


def _company_firsts(seed: int, per: int, contacts: int) -> npt.NDArray[np.int64]:
    """The first contact of each company that starts among the first `contacts` contacts.

    Group sizes are drawn in blocks from the seed alone, so a company's first contact does not
    depend on how many contacts are asked about.
    """
    low, high = max(1, per - per // 2), per + per // 2
    sizes: list[npt.NDArray[np.int64]] = []
    covered = 0
    block = 0
    while covered < contacts:
        rng = np.random.default_rng([seed, _COMPANY_SALT, block])
        drawn = rng.integers(low, high + 1, BLOCK, dtype=np.int64)
        sizes.append(drawn)
        covered += int(drawn.sum())
        block += 1
    first = np.concatenate(([0], np.cumsum(np.concatenate(sizes))[:-1])).astype(np.int64)
    return first[first < contacts]


@lru_cache(maxsize=4)
def company_headcounts(*, seed: int, contacts_per_company: int, total_records: int) -> npt.NDArray[np.int64]:
    """How many contacts each company of a b2b simulation gets over its whole run, by company index."""
    if total_records == 0:
        return np.empty(0, dtype=np.int64)
    first = _company_firsts(seed, contacts_per_company, total_records)
    counts = np.diff(first, append=total_records)
    counts.setflags(write=False)
    return counts


OFFERINGS = (
    "New business",
    "Annual plan",
    "Pilot",
    "Expansion",
    "Multi-year agreement",
    "Renewal",
    "Professional services",
    "Starter package",
)

# Median deal amounts (USD) by a word of the industry; deals spread log-normally around them.
_AMOUNT_MEDIANS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("software", "saas", "cloud", "cyber", "data", "tech"), 24_000.0),
    (("consult", "agency", "legal", "account", "advis"), 15_000.0),
    (("manufactur", "industrial", "aerospace", "energy", "construction", "mining"), 60_000.0),
    (("logistic", "shipping", "freight", "transport", "supply"), 35_000.0),
    (("health", "medical", "pharma", "biotech", "clinic"), 40_000.0),
    (("finance", "bank", "insurance", "fintech", "invest"), 30_000.0),
    (("retail", "ecommerce", "e-commerce", "fashion", "food", "restaurant", "hospitality", "consumer"), 3_000.0),
    (("education", "school", "nonprofit", "non-profit", "charity"), 6_000.0),
    (("real estate", "property"), 20_000.0),
    (("media", "entertainment", "music", "gaming", "sport"), 8_000.0),
)
DEFAULT_AMOUNT_MEDIAN = 12_000.0


def amount_median(industry: str) -> float:
    folded = industry.casefold()
    for words, median in _AMOUNT_MEDIANS:
        if any(word in folded for word in words):
            return median
    return DEFAULT_AMOUNT_MEDIAN


def deal_amount(industry: str, factor: float) -> str:
    """A deal's amount as a decimal string: the industry's median times the contact's seeded factor,
    rounded to a price a salesperson would quote."""
    raw = amount_median(industry) * factor
    step = 50 if raw < 10_000 else 500
    return f"{max(step, round(raw / step) * step):.2f}"
