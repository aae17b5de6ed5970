"""The story behind the funnel: which activities each contact's timeline gets, and when.

Each beat is a moment the funnel implies (simulations.funnel's draws): a new lead writes in or fills a
form, marketing emails reach it while it warms, a discovery call and its note come before it becomes
sales-qualified, a meeting when its deal opens, a presentation and a proposal in the middle stages,
follow-up tasks while the deal is open (some done late, some left overdue), a kickoff after a win, a
note with the reason after a loss, quieter check-ins after. Every instant is drawn from the seed, in
blocks of BLOCK contacts like the funnel's, and lies inside the window; a simulation's
`activity_level` sets how many of the optional beats there are.

Under a clock curve (business_hours, weekend_surge) the spacing passes in the curve's own time, as
the funnel's moves do, so activities keep to its hours.
"""

import math
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from simulations.curves import Clock, curve_clock
from simulations.funnel import BLOCK, DAY_US, OPEN_STAGES, TimelineContext, TimelinePart

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
_STORY_SALT = 0x53544F52  # "STOR": apart from the schedule's and the funnel's generators
# How many of the optional beats a contact gets, on average, per level (`activity_level`).
LEVELS = {"none": 0.0, "light": 0.5, "normal": 1.0, "busy": 2.0}
MARKETING_EMAILS = 2.0  # per lead at `normal`, while it warms
FOLLOW_UPS = 1.5  # tasks per open deal at `normal`
CHECK_INS = 1.0  # emails after a win at `normal`
SLOTS = 4  # at most this many of one optional beat per contact
INBOUND_EMAIL_SHARE = 0.6  # the rest of new leads fill a form (a note)
TASK_COMPLETED_SHARE = 0.75


class Beat(IntEnum):
    """The timeline step codes of the activity kinds (simulations.funnel orders an instant's entries by
    code). Released codes never change; the funnel's own use 0..9, tests/kind_probe takes 10."""

    INBOUND_EMAIL = 16
    FORM_NOTE = 17
    MARKETING_EMAIL = 18
    DISCOVERY_CALL = 19
    DISCOVERY_NOTE = 20
    DEAL_MEETING = 21
    PRESENTATION_MEETING = 22
    PROPOSAL_EMAIL = 23
    FOLLOW_UP_TASK = 24
    TASK_DONE = 25
    KICKOFF_MEETING = 26
    LOSS_NOTE = 27
    CHECK_IN_EMAIL = 28


def _uniform(seed: int, n: int, columns: int) -> npt.NDArray[np.float64]:
    """Uniform draws for contacts 0..n-1, block by block, so a contact's draws never depend on n."""
    blocks = math.ceil(n / BLOCK)
    out = np.empty((blocks * BLOCK, columns))
    for block in range(blocks):
        out[block * BLOCK : (block + 1) * BLOCK] = np.random.default_rng([seed, _STORY_SALT, block]).random(
            (BLOCK, columns)
        )
    return out[:n]


class _Time:
    """Spacing between instants, in the curve's own time when it has a clock."""

    def __init__(self, clock: Clock | None) -> None:
        self.clock = clock

    def after(self, at: npt.NDArray[np.int64], delay: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        if self.clock is None:
            return at + np.maximum(delay, 1).astype(np.int64)
        return np.maximum(self.clock.offsets_at(self.clock.active_at(at) + delay * self.clock.rate), at + 1)

    def between(
        self, start: npt.NDArray[np.int64], end: npt.NDArray[np.int64], share: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int64]:
        if self.clock is None:
            return start + ((end - start) * share).astype(np.int64)
        low, high = self.clock.active_at(start), self.clock.active_at(end)
        return np.clip(self.clock.offsets_at(low + (high - low) * share), start, np.maximum(end, start))


def _counts(mean: float, draws: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """floor(mean + u): mean on average, never more than SLOTS."""
    return np.minimum(np.floor(mean + draws).astype(np.int64), SLOTS)


def story_timeline(context: TimelineContext) -> tuple[list[TimelinePart], dict[str, Any]]:
    """Every beat of every contact that falls inside the window, and the facts its jobs read."""
    crm, plan, draws = context.crm, context.plan, context.draws
    level = LEVELS[crm.activity_level]
    n = len(context.offsets)
    window = plan.window_us
    if level == 0 or n == 0:
        return [], {}
    time = _Time(curve_clock(plan))
    u = _uniform(plan.drawn_seed, n, 40)
    created = context.offsets
    records = np.arange(n, dtype=np.int64)
    reaches, won = draws.reaches, draws.won
    has_deal = reaches >= 3
    parts: list[TimelinePart] = []

    def add(beat: Beat, at: npt.NDArray[np.int64], chosen: npt.NDArray[np.bool_]) -> None:
        kept = chosen & (at < window)
        parts.append(TimelinePart(beat, at[kept], records[kept]))

    first_touch = time.after(created, MINUTE_US + u[:, 0] * 45 * MINUTE_US)
    inbound = u[:, 1] < INBOUND_EMAIL_SHARE
    add(Beat.INBOUND_EMAIL, first_touch, inbound)
    add(Beat.FORM_NOTE, first_touch, ~inbound)

    # While it warms: from its first touch to its sales qualification, or a cycle's length for the rest.
    warm_end = np.where(reaches >= 2, draws.sql_at, created + crm.sales_cycle_days * DAY_US)
    marketing = _counts(MARKETING_EMAILS * level, u[:, 2])
    for slot in range(SLOTS):
        add(Beat.MARKETING_EMAIL, time.between(first_touch, warm_end, u[:, 3 + slot]), marketing > slot)

    qualified = reaches >= 2
    call_at = time.between(draws.mql_at, draws.sql_at, 0.3 + 0.4 * u[:, 7])
    add(Beat.DISCOVERY_CALL, call_at, qualified)
    add(Beat.DISCOVERY_NOTE, time.between(call_at, draws.sql_at, 0.1 + 0.3 * u[:, 8]), qualified)

    taken = draws.stage_taken
    # The first open stage the deal passes after it opens, or its close.
    first_stage = np.where(taken.any(axis=1), draws.stage_at[records, np.argmax(taken, axis=1)], draws.close_at)
    add(Beat.DEAL_MEETING, time.between(draws.deal_at, first_stage, 0.2 + 0.5 * u[:, 9]), has_deal)
    presentation, contract = 1, OPEN_STAGES - 1
    add(
        Beat.PRESENTATION_MEETING,
        time.between(draws.stage_at[:, presentation], draws.close_at, 0.05 + 0.2 * u[:, 10]),
        has_deal & taken[:, presentation],
    )
    add(
        Beat.PROPOSAL_EMAIL,
        time.between(draws.stage_at[:, contract], draws.close_at, 0.05 + 0.3 * u[:, 11]),
        has_deal & taken[:, contract],
    )

    follow_ups = _counts(FOLLOW_UPS * level, u[:, 12])
    task_at = np.full((n, SLOTS), -1, dtype=np.int64)
    task_due = np.full((n, SLOTS), -1, dtype=np.int64)
    task_done = np.full((n, SLOTS), -1, dtype=np.int64)
    for slot in range(SLOTS):
        chosen = has_deal & (follow_ups > slot)
        at = time.between(draws.deal_at, draws.close_at, u[:, 13 + slot])
        due = at + ((1 + 4 * u[:, 17 + slot]) * DAY_US).astype(np.int64)
        done = at + ((due - at) * (0.2 + 1.4 * u[:, 21 + slot])).astype(np.int64)  # past 1.0: done late
        completed = chosen & (u[:, 25 + slot] < TASK_COMPLETED_SHARE) & (at < window) & (done < window)
        add(Beat.FOLLOW_UP_TASK, at, chosen)
        add(Beat.TASK_DONE, done, completed)
        kept = chosen & (at < window)
        task_at[kept, slot], task_due[kept, slot] = at[kept], due[kept]
        task_done[completed, slot] = done[completed]

    closed = has_deal & (draws.close_at < window)
    add(Beat.KICKOFF_MEETING, time.after(draws.close_at, (1 + 6 * u[:, 29]) * DAY_US), closed & won)
    # A lost deal always gets its note: a few hours after the loss, or with it when that would pass the window.
    later = time.after(draws.close_at, u[:, 30] * 4 * HOUR_US)
    loss_note = np.where(later < window, later, draws.close_at)
    add(Beat.LOSS_NOTE, loss_note, closed & ~won)
    check_ins = _counts(CHECK_INS * level, u[:, 31])
    for slot in range(min(SLOTS, 2)):
        later = time.after(draws.close_at, (20 + 25 * u[:, 32 + slot] + 45 * slot) * DAY_US)
        add(Beat.CHECK_IN_EMAIL, later, closed & won & (check_ins > slot))

    facts = {
        "story_mql_at": draws.mql_at,
        "story_deal_at": np.where(has_deal, draws.deal_at, np.iinfo(np.int64).max),
        "story_stage_at": np.where(taken, draws.stage_at, np.iinfo(np.int64).max),
        "story_task_at": task_at,
        "story_task_due": task_due,
        "story_task_done": task_done,
    }
    return parts, facts
