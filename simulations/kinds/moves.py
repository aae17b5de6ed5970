"""The funnel's moves: ADVANCE_LIFECYCLE, CREATE_DEAL and ADVANCE_DEAL jobs, and the events they write.

Each move names the stage its record must be at (`from`) and the stage it moves to (`to`). A
record already at or past `to` is left as it is (a retry, a replay): the job completes and says
so. A record not yet at `from` is waiting for an earlier move of its own, still to run on another
worker: the job is deferred, without using an attempt, while that move's job is unfinished. Stages
therefore change in the planned order only, whatever the number of workers, and a replay writes the
same events.

Locks, after the claimed job rows: contacts, then deals, each in id order.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import OperationalError
from django.db.models import Q
from rest_framework import serializers

from jobs.models import JobStatus, ScheduledJob
from jobs.registry import BatchOutcome, JobDeferred, JobFailed, JobHandler, LostClaim
from jobs.runner import BatchCompletion, scheduled_jobs_completing
from simulations.delivery import records_changed
from simulations.funnel import OFFERINGS, OPEN_STAGES, Step, Timeline, deal_amount
from simulations.job_types import JobType
from simulations.kinds import EntryJob, RecordKind, TimelineContext, TimelinePart, TimelineStep
from simulations.models import (
    DEAL_ORDER,
    LIFECYCLE_ORDER,
    Contact,
    Deal,
    DealStage,
    EventObject,
    EventProperty,
    LifecycleStage,
    RecordEvent,
)
from simulations.payloads import payload_index, payload_instant

# How soon a move that waits for an earlier one looks again.
WAIT_SECONDS = 1.0
_LOCK_ROUNDS = 2
# A contact whose deal closes becomes a customer (won) or other (lost).
_CLOSED_CONTACT_STAGE = {DealStage.CLOSED_WON: LifecycleStage.CUSTOMER, DealStage.CLOSED_LOST: LifecycleStage.OTHER}


def first_stage_events(contacts: Iterable[Contact]) -> list[RecordEvent]:
    """The event of each new contact's first lifecycle stage (old_value null)."""
    return [
        RecordEvent(
            simulation_id=contact.simulation_id,
            object_type=EventObject.CONTACT,
            object_id=contact.pk,
            property=EventProperty.LIFECYCLE_STAGE,
            old_value=None,
            new_value=contact.lifecyclestage,
            occurred_at=contact.occurred_at or contact.created_at,
        )
        for contact in contacts
    ]


def stage_moves_for_jobs(jobs: list[ScheduledJob], claim: str) -> BatchOutcome:
    """The batch form: apply every claimed move whose record is ready, defer those that wait, in one transaction.

    Moves whose earlier move will never come (its job failed or was cancelled) are left out, for
    the one-by-one path to fail them with a readable error.
    """
    for _ in range(_LOCK_ROUNDS):
        try:
            with scheduled_jobs_completing([job.pk for job in jobs], claim) as completion:
                ours = [job for job in jobs if job.pk in completion.still_ours]
                waiting = _moves_apply(ours, completion)
                coming = earlier_jobs_unfinished(waiting)
                for job in waiting:
                    if job.pk in coming:
                        completion.deferrals[job.pk] = (WAIT_SECONDS, _waiting_message(job))
            return completion.outcome()
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) not in ("40P01", "40001"):
                raise
    return BatchOutcome()


def stage_move_for_job(job: ScheduledJob, claim: str) -> None:
    """The one-by-one path: apply the move, defer it while an earlier move is coming, else fail it."""
    outcome = stage_moves_for_jobs([job], claim)
    if job.pk in outcome.completed or job.pk in outcome.deferred:
        return
    if not ScheduledJob.objects.filter(pk=job.pk, claimed_by=claim, status=JobStatus.PROCESSING).exists():
        raise LostClaim(job.pk)
    if earlier_jobs_unfinished([job]):
        raise JobDeferred(_waiting_message(job), delay=WAIT_SECONDS)
    raise JobFailed(
        f"Contact #{payload_index(job)} of this simulation never reached {job.payload['from']} (the job of "
        "an earlier step failed or was cancelled), so it cannot move on to "
        f"{job.payload['to']}. Retry the failed job of that contact, then this one.",
        retryable=False,
    )


ADVANCE_LIFECYCLE_HANDLER = JobHandler(
    job_type=JobType.ADVANCE_LIFECYCLE, run=stage_move_for_job, run_batch=stage_moves_for_jobs
)
CREATE_DEAL_HANDLER = JobHandler(job_type=JobType.CREATE_DEAL, run=stage_move_for_job, run_batch=stage_moves_for_jobs)
ADVANCE_DEAL_HANDLER = JobHandler(job_type=JobType.ADVANCE_DEAL, run=stage_move_for_job, run_batch=stage_moves_for_jobs)


@dataclass
class _Changes:
    """What a batch changes, applied in bulk at its end."""

    contacts: dict[int, Contact] = field(default_factory=dict)
    deals: dict[int, Deal] = field(default_factory=dict)
    new_deals: list[Deal] = field(default_factory=list)
    # (the record, its type, property, old, new, instant); the record's id is known once it is saved.
    events: list[tuple[Contact | Deal, str, str, str | None, str, datetime]] = field(default_factory=list)

    def move(self, record: Contact | Deal, new: str, at: datetime) -> None:
        if isinstance(record, Contact):
            old, record.lifecyclestage = record.lifecyclestage, new
            self.events.append((record, EventObject.CONTACT, EventProperty.LIFECYCLE_STAGE, old, new, at))
            self.contacts[record.pk] = record
        else:
            old, record.dealstage = record.dealstage, new
            self.events.append((record, EventObject.DEAL, EventProperty.DEAL_STAGE, old, new, at))
            if record.pk is not None:
                self.deals[record.pk] = record

    def save(self) -> None:
        Deal.objects.bulk_create(self.new_deals)
        Contact.objects.bulk_update(sorted(self.contacts.values(), key=lambda c: c.pk), ["lifecyclestage"])
        Deal.objects.bulk_update(sorted(self.deals.values(), key=lambda d: d.pk), ["dealstage"])
        records_changed(Contact, sorted(self.contacts))
        records_changed(Deal, sorted({*self.deals, *(deal.pk for deal in self.new_deals)}))
        RecordEvent.objects.bulk_create(
            RecordEvent(
                simulation_id=record.simulation_id,
                object_type=object_type,
                object_id=record.pk,
                property=prop,
                old_value=old,
                new_value=new,
                occurred_at=at,
            )
            for record, object_type, prop, old, new, at in self.events
        )


def _moves_apply(jobs: list[ScheduledJob], completion: BatchCompletion) -> list[ScheduledJob]:
    """Apply the moves in their planned order, recording each job's result; return the jobs that wait."""
    contacts = _contacts_locked(jobs)
    deals = {
        deal.contact_id: deal
        for deal in Deal.objects.select_for_update()
        .filter(contact_id__in=[c.pk for c in contacts.values()])
        .order_by("id")
    }
    changes = _Changes()
    waiting: list[ScheduledJob] = []
    for job in sorted(jobs, key=lambda job: (payload_instant(job), job.pk)):
        contact = contacts.get((job.simulation_id, payload_index(job)))
        if job.job_type == JobType.ADVANCE_LIFECYCLE:
            result = _lifecycle_move(job, contact, changes)
        elif job.job_type == JobType.CREATE_DEAL:
            result = _deal_open(job, contact, deals, changes)
        else:
            result = _deal_move(job, contact, deals.get(contact.pk) if contact else None, changes)
        if result is None:
            waiting.append(job)
        else:
            completion.results[job.pk] = result
    changes.save()
    return waiting


def _contacts_locked(jobs: list[ScheduledJob]) -> dict[tuple[int, int], Contact]:
    wanted = Q()
    by_simulation: dict[int, set[int]] = {}
    for job in jobs:
        by_simulation.setdefault(job.simulation_id, set()).add(payload_index(job))
    for simulation_id, indexes in by_simulation.items():
        wanted |= Q(simulation_id=simulation_id, record_index__in=indexes)
    if not by_simulation:
        return {}
    rows = Contact.objects.select_for_update().filter(wanted).order_by("id")
    return {(contact.simulation_id, contact.record_index or 0): contact for contact in rows}


def _ready(current: str | None, job: ScheduledJob, order: dict[str, int]) -> bool | None:
    """True: apply the move; False: the record is already at or past its target; None: it waits."""
    if current is None or order[current] < order[job.payload["from"]]:
        return None
    return order[current] < order[job.payload["to"]]


def _lifecycle_move(job: ScheduledJob, contact: Contact | None, changes: _Changes) -> dict[str, Any] | None:
    ready = _ready(contact.lifecyclestage if contact else None, job, LIFECYCLE_ORDER)
    if ready is None or contact is None:
        return None
    if ready:
        changes.move(contact, job.payload["to"], payload_instant(job))
    return _result("contact", contact.pk, ready, contact.lifecyclestage)


def _deal_open(
    job: ScheduledJob, contact: Contact | None, deals: dict[int, Deal], changes: _Changes
) -> dict[str, Any] | None:
    ready = _ready(contact.lifecyclestage if contact else None, job, LIFECYCLE_ORDER)
    if ready is None or contact is None:
        return None
    if not ready or contact.pk in deals:
        deal = deals.get(contact.pk)
        return {**_result("deal", deal.pk if deal else None, False, contact.lifecyclestage), "contact_id": contact.pk}
    at = payload_instant(job)
    changes.move(contact, job.payload["to"], at)
    deal = Deal(
        simulation_id=contact.simulation_id,
        name=f"{contact.company or f'{contact.firstname} {contact.lastname}'} - {job.payload['offering']}"[:255],
        amount=Decimal(job.payload["amount"]),
        closedate=payload_instant(job, "closedate"),
        contact=contact,
        company_id=contact.company_record_id,
        occurred_at=at,
        dealstage=DealStage.APPOINTMENT_SCHEDULED,
    )
    deals[contact.pk] = deal
    changes.new_deals.append(deal)
    changes.events.append((deal, EventObject.DEAL, EventProperty.DEAL_STAGE, None, deal.dealstage, at))
    return {
        "moved": True,
        "object": "deal",
        "contact_id": contact.pk,
        "stage": deal.dealstage,
        "amount": job.payload["amount"],
    }


def _deal_move(
    job: ScheduledJob, contact: Contact | None, deal: Deal | None, changes: _Changes
) -> dict[str, Any] | None:
    ready = _ready(deal.dealstage if deal else None, job, DEAL_ORDER)
    if ready is None or deal is None or contact is None:
        return None
    if ready:
        at = payload_instant(job)
        changes.move(deal, job.payload["to"], at)
        closed_as = _CLOSED_CONTACT_STAGE.get(job.payload["to"])
        if closed_as is not None and LIFECYCLE_ORDER[contact.lifecyclestage] < LIFECYCLE_ORDER[closed_as]:
            changes.move(contact, closed_as, at)
    return _result("deal", deal.pk, ready, deal.dealstage)


def _result(object_type: str, object_id: int | None, moved: bool, stage: str) -> dict[str, Any]:
    return {"moved": moved, "object": object_type, "id": object_id, "stage": stage}


# The jobs that make a contact and move it and its deal: a move waits only for these.
FUNNEL_JOB_TYPES = (JobType.CREATE_CONTACT, JobType.ADVANCE_LIFECYCLE, JobType.CREATE_DEAL, JobType.ADVANCE_DEAL)


def earlier_jobs_unfinished(jobs: list[ScheduledJob], job_types: Iterable[str] = FUNNEL_JOB_TYPES) -> set[int]:
    """The jobs among these whose contact still has an unfinished job of these types planned before them."""
    if not jobs:
        return set()
    unfinished = ScheduledJob.objects.filter(
        simulation_id__in={job.simulation_id for job in jobs},
        status__in=(JobStatus.PENDING, JobStatus.PROCESSING),
        job_type__in=list(job_types),
        payload__index__in=sorted({payload_index(job) for job in jobs}),
    ).only("id", "simulation_id", "payload")
    planned: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for other in unfinished:
        planned.setdefault((other.simulation_id, payload_index(other)), []).append((payload_instant(other), other.pk))
    return {
        job.pk
        for job in jobs
        if any(
            at < payload_instant(job) and pk != job.pk
            for at, pk in planned.get((job.simulation_id, payload_index(job)), [])
        )
    }


def _waiting_message(job: ScheduledJob) -> str:
    return (
        f"Waiting for contact #{payload_index(job)} to reach {job.payload['from']} (an earlier job of it "
        "has not run yet); not an error, and no attempt is used."
    )


# --- the kind: stage moves, each a RecordEvent ------------------------------------------------------------


class RecordEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecordEvent
        fields = ["id", "simulation", "object_type", "object_id", "property", "old_value", "new_value", "occurred_at"]
        read_only_fields = fields


def _timeline(context: TimelineContext) -> tuple[list[TimelinePart], dict[str, Any]]:
    """Each contact's moves that fall inside the window: MQL, SQL, the deal's opening, its open stages, its close."""
    draws, window = context.draws, context.plan.window_us
    records = np.arange(len(context.offsets), dtype=np.int64)
    parts: list[TimelinePart] = []
    for step, reached, at in (
        (Step.MQL, draws.reaches >= 1, draws.mql_at),
        (Step.SQL, draws.reaches >= 2, draws.sql_at),
        (Step.DEAL, draws.reaches >= 3, draws.deal_at),
    ):
        kept = reached & (at < window)
        parts.append(TimelinePart(step, at[kept], records[kept]))
    has_deal = (draws.reaches >= 3) & (draws.deal_at < window)
    for stage in range(OPEN_STAGES):
        at = draws.stage_at[:, stage]
        kept = has_deal & draws.stage_taken[:, stage] & (at < window)
        parts.append(TimelinePart(Step.QUALIFIED + stage, at[kept], records[kept]))
    kept = has_deal & (draws.close_at < window)
    parts.append(TimelinePart(Step.CLOSE, draws.close_at[kept], records[kept]))
    facts = {
        "close_at": draws.close_at,
        "stage_taken": draws.stage_taken,
        "won": draws.won,
        "amount": draws.amount,
        "offering": draws.offering,
    }
    return parts, facts


def _lifecycle_step(old: str, new: str) -> Callable[[EntryJob], tuple[str, dict[str, Any]]]:
    def job(entry: EntryJob) -> tuple[str, dict[str, Any]]:
        return JobType.ADVANCE_LIFECYCLE, {
            "index": entry.index,
            "from": old,
            "to": new,
            "at": entry.instant.isoformat(),
        }

    return job


def _deal_open_job(entry: EntryJob) -> tuple[str, dict[str, Any]]:
    facts, index = entry.facts, entry.index
    closedate = entry.plan.starts_at + timedelta(microseconds=int(facts["close_at"][index]))
    return JobType.CREATE_DEAL, {
        "index": index,
        "from": LifecycleStage.SALES_QUALIFIED,
        "to": LifecycleStage.OPPORTUNITY,
        "at": entry.instant.isoformat(),
        "amount": deal_amount(entry.industry, float(facts["amount"][index])),
        "closedate": closedate.isoformat(),
        "offering": OFFERINGS[int(facts["offering"][index])],
    }


OPEN_DEAL_STAGES = (
    DealStage.QUALIFIED_TO_BUY,
    DealStage.PRESENTATION_SCHEDULED,
    DealStage.DECISION_MAKER_BOUGHT_IN,
    DealStage.CONTRACT_SENT,
)


def _deal_step(step: Step) -> Callable[[EntryJob], tuple[str, dict[str, Any]]]:
    """The deal stage this step moves from and to: from the last open stage the deal passed before it."""

    def job(entry: EntryJob) -> tuple[str, dict[str, Any]]:
        facts, index = entry.facts, entry.index
        taken = facts["stage_taken"][index]
        before = OPEN_STAGES if step == Step.CLOSE else step - Step.QUALIFIED
        passed = [stage for stage in range(before) if taken[stage]]
        old = OPEN_DEAL_STAGES[passed[-1]] if passed else DealStage.APPOINTMENT_SCHEDULED
        if step == Step.CLOSE:
            new = DealStage.CLOSED_WON if facts["won"][index] else DealStage.CLOSED_LOST
        else:
            new = OPEN_DEAL_STAGES[step - Step.QUALIFIED]
        return JobType.ADVANCE_DEAL, {"index": index, "from": old, "to": new, "at": entry.instant.isoformat()}

    return job


MOVES = RecordKind(
    name="events",
    model=RecordEvent,
    serializer=RecordEventSerializer,
    handlers=(ADVANCE_LIFECYCLE_HANDLER, CREATE_DEAL_HANDLER, ADVANCE_DEAL_HANDLER),
    steps=(
        TimelineStep(Step.MQL, "mql", _lifecycle_step(LifecycleStage.LEAD, LifecycleStage.MARKETING_QUALIFIED)),
        TimelineStep(
            Step.SQL, "sql", _lifecycle_step(LifecycleStage.MARKETING_QUALIFIED, LifecycleStage.SALES_QUALIFIED)
        ),
        TimelineStep(Step.DEAL, "deal", _deal_open_job),
        *(
            TimelineStep(step, step.name.lower(), _deal_step(step))
            for step in (Step.QUALIFIED, Step.PRESENTATION, Step.DECISION, Step.CONTRACT, Step.CLOSE)
        ),
    ),
    timeline=_timeline,
    list_doc="Every stage its records took, in the order they happened.",
)


@dataclass(frozen=True)
class PlannedEnds:
    """Where each contact's funnel stands at the end of its window, as its timeline plans it (µs offsets
    from the window's start, -1 where it does not happen before `ends_at`)."""

    lifecyclestage: list[str]
    dealstage: list[str]  # "" without a deal
    converts_at: npt.NDArray[np.int64]  # when it becomes a customer
    closes_at: npt.NDArray[np.int64]  # when its deal closes, won or lost


def planned_ends(timeline: Timeline, contacts: int) -> PlannedEnds:
    """Apply every move of the whole timeline, in step order, as the move jobs do (each only forward)."""
    lifecycle = np.full(contacts, LIFECYCLE_ORDER[LifecycleStage.LEAD], dtype=np.int8)
    deal = np.full(contacts, -1, dtype=np.int8)
    converts_at = np.full(contacts, -1, dtype=np.int64)
    closes_at = np.full(contacts, -1, dtype=np.int64)
    lifecycle_values, deal_values = LifecycleStage.values, DealStage.values
    won = np.asarray(timeline.facts["won"], dtype=bool) if "won" in timeline.facts else np.zeros(0, dtype=bool)

    def moved(step: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        chosen = timeline.step == step
        return timeline.index[chosen], timeline.at[chosen]

    for step, stage in ((Step.MQL, LifecycleStage.MARKETING_QUALIFIED), (Step.SQL, LifecycleStage.SALES_QUALIFIED)):
        lifecycle[moved(step)[0]] = LIFECYCLE_ORDER[stage]
    opened, _ = moved(Step.DEAL)
    lifecycle[opened] = LIFECYCLE_ORDER[LifecycleStage.OPPORTUNITY]
    deal[opened] = deal_values.index(DealStage.APPOINTMENT_SCHEDULED)
    for offset, open_stage in enumerate(OPEN_DEAL_STAGES):
        deal[moved(Step.QUALIFIED + offset)[0]] = deal_values.index(open_stage)
    closed, closed_at = moved(Step.CLOSE)
    closed_won = won[closed]
    deal[closed] = np.where(
        closed_won, deal_values.index(DealStage.CLOSED_WON), deal_values.index(DealStage.CLOSED_LOST)
    )
    lifecycle[closed] = np.where(
        closed_won, LIFECYCLE_ORDER[LifecycleStage.CUSTOMER], LIFECYCLE_ORDER[LifecycleStage.OTHER]
    )
    closes_at[closed] = closed_at
    converts_at[closed[closed_won]] = closed_at[closed_won]
    return PlannedEnds(
        lifecyclestage=[lifecycle_values[rank] for rank in lifecycle.tolist()],
        dealstage=[deal_values[rank] if rank >= 0 else "" for rank in deal.tolist()],
        converts_at=converts_at,
        closes_at=closes_at,
    )
