"""The SYNC_CRM job: deliver one simulation's pending records to its connection's CRM.

The core of every CRM: the connection's adapter (connectors.crm) says how its CRM takes each record
kind. Records are upserted in batches, each matched by its key, then the associations (contact to
company, deal to contact and company). Each step is idempotent in the CRM, so a job repeated after a
lost answer or a killed worker leaves each record and association there once.

A job never skips a record: it sends it, waits (deferred, without using an attempt) while the
budget or the CRM says so, retries it with backoff, or marks it `failed` with a `sync_error`.
One job at a time works on one simulation's records (a PostgreSQL advisory lock), so two workers
never send the same batch twice at once, and a stage update follows its record's creation.
"""

import functools
import hashlib
import logging
import operator
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, cast

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from connectors.budget import (
    SHORT_WAIT_SECONDS,
    BudgetExhausted,
    budget_release,
    budget_take,
    budget_wait_and_take,
    connection_block,
    daily_usage_note,
    in_flight_cap,
)
from connectors.crm.base import (
    CrmAdapter,
    CrmCreatingSession,
    CrmError,
    CrmSession,
    Refusal,
    crm_adapter,
    refusals_of,
)
from connectors.models import Connection, ConnectionStatus, Installation
from connectors.outbox import GATHER, delivery_queue
from jobs.models import ScheduledJob
from jobs.registry import JobDeferred, JobFailed, JobHandler
from jobs.runner import scheduled_job_completing
from simulations.job_types import JobType
from simulations.kinds import RecordKind, delivered_kinds, record_kind
from simulations.models import Simulation, SyncStatus

logger = logging.getLogger(__name__)


def delivered_models() -> list[type[Any]]:
    """The models of the kinds a CRM receives (simulations.kinds): each has the fields of models.Delivered."""
    return [kind.model for kind in delivered_kinds()]


_LOCK_NAMESPACE = int.from_bytes(hashlib.blake2b(b"simcrm.delivery", digest_size=4).digest(), "big", signed=True)


def delivery_run(job: ScheduledJob, claim: str) -> None:
    simulation = Simulation.objects.only("id").get(pk=job.simulation_id)
    connection = Connection.objects.filter(simulation_links__simulation_id=simulation.pk).first()
    if connection is None:
        message = "The simulation's connection was deleted; it is not delivered."
        failed = sum(_fail_pending(simulation.pk, kind, message) for kind in delivered_kinds())
        _complete(job, claim, {"delivered": 0, "failed": failed})
        return
    if connection.status == ConnectionStatus.INVALID:
        # Held: the records stay pending, and a PATCH with a good token queues them again.
        _complete(job, claim, {"delivered": 0, "held": connection.last_error})
        return
    with _one_at_a_time(simulation.pk) as alone:
        if not alone:
            # That job queues no successor while this one waits, so this one takes over after it.
            raise JobDeferred("Another worker is delivering these records; this job waits for it.", delay=2.0)
        result, next_delay = _deliver(job, connection, simulation.pk)
    # Queued once the lock is released, so the next job does not find it still held.
    _complete(job, claim, result, next_delay)


SYNC_CRM_HANDLER = JobHandler(job_type=JobType.SYNC_CRM, run=delivery_run, independent_of_owner=True)


def crm_session(connection: Connection, *, probing: bool = False, budgeted: bool = True) -> CrmSession:
    """A session of the connection's CRM whose every request first takes a slot of the connection's shared
    budget (a probe takes one too, though the connection is blocked for everyone else). Not `budgeted`: a
    delivery's threads share it, their slots taken beforehand in the job's own thread."""
    return crm_adapter(connection.kind).session(
        connection,
        before_request=(
            (lambda: budget_wait_and_take(connection_id=connection.pk, ignore_block=probing)) if budgeted else None
        ),
    )


def _deliver(job: ScheduledJob, connection: Connection, simulation_id: int) -> tuple[dict[str, Any], timedelta | None]:
    """Deliver what is pending; return the job's result and when the next job should come, if one should."""
    failed = 0
    lanes: list[Lane] = []
    unready: dict[str, str] = {}  # record kind -> why the CRM could not be prepared for it now
    adapter = crm_adapter(connection.kind)
    with closing(crm_session(connection)) as session:
        try:
            if connection.status == ConnectionStatus.RATE_LIMITED:
                _probe(connection)
            for kind in delivered_kinds():
                if not _pending(kind.model, simulation_id).exists():
                    continue
                try:
                    recorded = adapter.prepare(session, connection, kind)
                except CrmError as error:
                    if error.refusal == Refusal.UNAVAILABLE:
                        unready[kind.name] = error.message  # the other kinds go on; this one next time
                    elif error.refusal == Refusal.INVALID:
                        # The CRM cannot be prepared (a missing scope, say): no record of this kind can go.
                        failed += _fail_pending(simulation_id, kind, error.message)
                    else:
                        raise
                    continue
                for key, names in recorded.items():
                    connection.custom_properties_add(key, names)
                lanes.append(
                    CreateLane(simulation_id, kind, adapter)
                    if adapter.creates(kind)
                    else UpsertLane(simulation_id, kind, adapter)
                )
            daily_usage_note(connection_id=connection.pk, usage=session.daily_usage())
        except BudgetExhausted as exhausted:
            raise JobDeferred(f"Waiting for the request budget: {exhausted}", delay=exhausted.wait) from None
        except CrmError as error:
            stop = _refused(connection, error)
            if stop.defer is not None:
                raise JobDeferred(stop.message, delay=stop.defer) from None
            if stop.held:
                return {"delivered": 0, "held": stop.message}, None
            if job.attempts < settings.SIMCRM_MAX_ATTEMPTS:
                raise JobFailed(error.message, retryable=True) from None
            failed += sum(_fail_pending(simulation_id, kind, error.message) for kind in delivered_kinds())
            return {"delivered": 0, "failed": failed, "error": error.message}, None
    upserted = [kind for kind in delivered_kinds() if kind.associations and not adapter.creates(kind)]
    lanes.append(AssociationLane(simulation_id, adapter.budget.batch_limit, upserted))
    run = _drive(connection, simulation_id, lanes)
    run.failed += failed
    result: dict[str, Any] = {"delivered": run.delivered, "requests": run.requests}
    if run.stop is not None and run.stop.held:
        return {**result, "held": run.stop.message}, None
    wait = run.stop.defer if run.stop is not None else None
    problem = run.error or next(iter(unready.values()), "")
    if (run.unavailable or unready) and run.delivered:
        # The CRM failed some requests but answered others: a fresh job tries again after a pause.
        wait = max(wait or 0.0, float(settings.SIMCRM_RETRY_BASE_SECONDS))
    elif run.unavailable or unready:
        if job.attempts < settings.SIMCRM_MAX_ATTEMPTS:
            raise JobFailed(problem, retryable=True)
        # The CRM stayed unavailable through every attempt: say so on the records it could not take.
        run.failed += sum(unit.lane.fail(unit, problem) for unit in run.unavailable)
        run.failed += sum(_fail_pending(simulation_id, record_kind(name), why) for name, why in unready.items())
    if run.stop is not None and run.stop.defer is not None and not run.delivered:
        raise JobDeferred(run.stop.message, delay=run.stop.defer)
    if run.failed:
        result["failed"] = run.failed
    if problem:
        result["error"] = problem
    if not all(lane.finished for lane in lanes):
        return result, timedelta(seconds=wait or 0.0)  # stopped with work left
    if wait is not None or any(_pending(model, simulation_id).exists() for model in delivered_models()):
        # Records that came while it ran: gathered a moment, so they go in full batches.
        return result, max(GATHER, timedelta(seconds=wait or 0.0))
    # What was just delivered may have associations to make: look again soon.
    return result, GATHER if run.delivered else None


# How long one delivery job keeps sending before it hands over (what it has in flight is answered first).
JOB_SECONDS = 8.0
# Threads one job may wait on the CRM with; the budget decides how many requests really fly.
MAX_PARALLEL = 32
# The longest a job sleeps between looks at its requests and the budget.
POLL_SECONDS = 0.1
# Batches of pending records read at once.
BATCHES_A_QUERY = 5
# A part batch of records just made waits this long for more (a live simulation's records
# arrive a few a second); the contract wants a record sent within about 5 s of its creation.
PART_BATCH_WAIT = timedelta(seconds=2)
# How long the associations wait to look again after finding nothing to send.
ASSOCIATIONS_QUIET_SECONDS = 0.5


@dataclass
class Unit:
    """One request's worth of a delivery: `send` runs in a thread and
    only speaks HTTP; the lane settles its answer in the job's own thread, which alone uses the database."""

    lane: "Lane"
    records: list[Any]
    send: Callable[[CrmSession], Any]
    retry_without_stage: bool = False
    kind: RecordKind | None = None  # the records' kind, where the lane settles several
    creating: bool = False  # a create whose lost answer may have made its records (CreateLane)
    finding: bool = False  # a look for what a lost create made (CreateLane)


@dataclass
class Stop:
    """Why a delivery sends nothing more for now."""

    message: str
    defer: float | None = None  # wait this long (a 429, a daily limit, the budget)
    held: bool = False  # the token is refused: records stay pending until a PATCH


@dataclass
class Run:
    delivered: int = 0
    requests: int = 0
    failed: int = 0
    stop: Stop | None = None
    error: str = ""  # the last refusal or failure the CRM answered
    unavailable: list[Unit] = field(default_factory=list)  # units the CRM failed (5xx, no answer)


class Lane(Protocol):
    finished: bool  # nothing more to send now (records still coming queue a job of their own)

    def next_unit(self) -> Unit | None: ...
    def wake(self) -> None: ...
    def settle(self, unit: Unit, answer: Any) -> int: ...
    def refuse(self, unit: Unit, error: CrmError) -> tuple[Unit | None, int]: ...
    def fail(self, unit: Unit, message: str) -> int: ...


def _drive(connection: Connection, simulation_id: int, lanes: list["Lane"]) -> Run:
    """Keep as many of the lanes' requests in flight as the connection's budget allows (budget_take),
    for up to JOB_SECONDS, then wait for their answers and settle each."""
    run = Run()
    flying: dict[Future[tuple[Any, float]], tuple[Unit, int]] = {}
    ready: list[Unit] = []  # taken from the lanes (or to be sent again), waiting for slots
    deadline = time.monotonic() + JOB_SECONDS
    flight = min(in_flight_cap(connection), MAX_PARALLEL)
    with closing(crm_session(connection, budgeted=False)) as session, ThreadPoolExecutor(MAX_PARALLEL, "crm") as pool:
        while True:
            pause = POLL_SECONDS
            ready += _units(lanes, flight - len(flying) - len(ready))
            if ready and len(flying) < MAX_PARALLEL and run.stop is None and time.monotonic() < deadline:
                try:
                    slots = budget_take(connection_id=connection.pk, simulation_id=simulation_id, up_to=len(ready))
                except BudgetExhausted as exhausted:
                    if exhausted.wait > SHORT_WAIT_SECONDS and not flying:
                        run.stop = Stop(f"Waiting for the request budget: {exhausted}", defer=exhausted.wait)
                    pause = min(exhausted.wait, POLL_SECONDS)
                else:
                    for slot in slots:
                        unit = ready.pop(0)
                        flying[pool.submit(_timed, unit.send, session)] = (unit, slot)
                    run.requests += len(slots)
            if not flying and not ready and run.stop is None and time.monotonic() < deadline:
                for lane in lanes:
                    lane.wake()  # all answered: what waited for those records (associations) may go now
                ready += _units(lanes, flight)
            if not flying:
                if not ready or run.stop is not None or time.monotonic() >= deadline:
                    break
                time.sleep(pause)
                continue
            done, _ = wait(flying, timeout=pause, return_when=FIRST_COMPLETED)
            answers = [(*flying.pop(future), *future.result()) for future in done]
            budget_release(
                connection_id=connection.pk,
                slot_ids=[slot for _, slot, _, _ in answers],
                latencies=[seconds for _, _, answer, seconds in answers if _answered(answer)],
            )
            for unit, _, answer, _ in answers:
                if isinstance(answer, CrmError):
                    _answer_refused(connection, unit, answer, run, ready)
                else:
                    run.delivered += unit.lane.settle(unit, answer)
        daily_usage_note(connection_id=connection.pk, usage=session.daily_usage())
    for unit in ready:  # still waiting for a slot: the next job sends them
        unit.lane.finished = False
    return run


def _units(lanes: list["Lane"], wanted: int) -> list[Unit]:
    """Up to `wanted` units, taken from the lanes in turn."""
    units: list[Unit] = []
    asking = list(lanes)
    while asking and len(units) < wanted:
        for lane in list(asking):
            unit = lane.next_unit() if len(units) < wanted else None
            if unit is None:
                asking.remove(lane)
            else:
                units.append(unit)
    return units


def _answered(answer: Any) -> bool:
    """An answer whose time says how fast the CRM is (not a time-out or a dropped connection)."""
    return not isinstance(answer, CrmError) or answer.refusal != Refusal.UNAVAILABLE


def _answer_refused(connection: Connection, unit: Unit, error: CrmError, run: Run, ready: list[Unit]) -> None:
    if error.refusal == Refusal.INVALID:
        retry, failed = unit.lane.refuse(unit, error)
        run.failed += failed
        if retry is not None:
            ready.append(retry)  # sent again in the adapter's fallback shape
        else:
            run.error = error.message
        return
    run.error = error.message
    if error.refusal == Refusal.UNAVAILABLE:
        run.unavailable.append(unit)
        if unit.creating:
            _creates_unanswered(unit)
    stop = _refused(connection, error)
    if run.stop is None or stop.held or stop.defer is not None:
        run.stop = stop


def _timed(send: Callable[[CrmSession], Any], session: CrmSession) -> tuple[Any, float]:
    """Run one request in a pool thread: its answer (or the CRM's refusal) and how long it took."""
    started = time.monotonic()
    try:
        answer = send(session)
    except CrmError as error:
        answer = error
    return answer, time.monotonic() - started


class UpsertLane:
    """A simulation's pending records of one kind, a batch to an upsert, each record in one batch at a time."""

    def __init__(self, simulation_id: int, kind: RecordKind, adapter: CrmAdapter) -> None:
        self.simulation_id, self.kind, self.adapter = simulation_id, kind, adapter
        self.model = kind.model
        self._batch = adapter.budget.batch_limit
        self.finished = False
        self._busy: set[int] = set()
        self._buffer: list[list[Any]] = []
        self._installation = _installation_key()

    def next_unit(self) -> Unit | None:
        if not self._buffer and not self.finished:
            # Several batches a query; a record that changes meanwhile stays pending (its version moved on).
            size = self._batch
            records = list(
                _pending(self.model, self.simulation_id).exclude(pk__in=self._busy)[: size * BATCHES_A_QUERY]
            )
            self.finished = len(records) < size * BATCHES_A_QUERY  # records still coming: the next job
            batches = [records[start : start + size] for start in range(0, len(records), size)]
            if batches and len(batches[-1]) < size and not self._gathered(batches[-1]):
                batches.pop()  # a part batch of records just made waits for more (the next job, gathered)
            self._busy.update(record.pk for batch in batches for record in batch)
            self._buffer = batches
        if not self._buffer:
            return None
        return self._unit(self._buffer.pop(0), without_stage=False)

    def wake(self) -> None:
        pass  # records that came after it finished go with the next job, gathered

    @staticmethod
    def _gathered(batch: list[Any]) -> bool:
        """A part batch goes once its oldest record was made PART_BATCH_WAIT ago (a stage update of an
        older record at once); records made meanwhile fill it up."""
        return min(record.created_at for record in batch) <= timezone.now() - PART_BATCH_WAIT

    def _unit(self, batch: list[Any], *, without_stage: bool) -> Unit:
        kind = self.kind
        keyed = self._keyed(batch)
        inputs = self.adapter.upsert_inputs(kind, keyed, fallback=without_stage)

        def send(session: CrmSession) -> dict[str, str]:
            return session.upsert(kind, inputs)

        return Unit(self, batch, send, retry_without_stage=without_stage)

    def _keyed(self, records: list[Any]) -> dict[str, Any]:
        kind = self.kind
        return {
            self.adapter.record_key(kind, record, _simcrm_id(kind.name, record, self._installation)): record
            for record in records
        }

    def settle(self, unit: Unit, answer: Any) -> int:
        """The records the CRM answered for are `synced` unless they changed again meanwhile."""
        self._busy.difference_update(record.pk for record in unit.records)
        keyed = self._keyed(unit.records)
        answered = {key: crm_id for key, crm_id in answer.items() if key in keyed}
        with transaction.atomic():
            _mark_delivered(
                self.model, [(keyed[key].pk, crm_id, keyed[key].sync_version) for key, crm_id in answered.items()]
            )
            _mark_refused(
                self.adapter, self.model, {key: record for key, record in keyed.items() if key not in answered}, answer
            )
        return len(answered)

    def refuse(self, unit: Unit, error: CrmError) -> tuple[Unit | None, int]:
        if not unit.retry_without_stage and self.adapter.upsert_fallback(self.kind, error):
            return self._unit(unit.records, without_stage=True), 0
        return None, self.fail(unit, error.message)

    def fail(self, unit: Unit, message: str) -> int:
        self._busy.difference_update(record.pk for record in unit.records)
        ids = [record.pk for record in unit.records]
        return self.model._default_manager.filter(pk__in=ids, sync_status=SyncStatus.PENDING).update(
            sync_status=SyncStatus.FAILED, sync_error=message
        )


class AssociationLane:
    """A simulation's associations whose two ends are in the CRM (each kind's `associations`), a batch to
    a request, the kinds by turns; a record counts as associated once every one of its associations is
    answered. Each request goes only when full, or when no record it waits for is still to be delivered,
    so none goes a quarter full while the rest is on its way."""

    def __init__(self, simulation_id: int, batch_limit: int, kinds: list[RecordKind]) -> None:
        self.simulation_id, self._batch = simulation_id, batch_limit
        self.finished = False
        self._kinds = kinds
        self._busy: dict[str, set[int]] = {kind.name: set() for kind in self._kinds}
        self._unanswered: dict[tuple[str, int], int] = {}  # (kind, record id) -> its requests still to answer
        self._queued: list[Unit] = []
        self._turn = 0
        self._quiet_until = 0.0

    def next_unit(self) -> Unit | None:
        if self._queued:
            return self._queued.pop(0)
        if time.monotonic() < self._quiet_until:
            return None
        for _ in range(len(self._kinds)):
            kind = self._kinds[self._turn % len(self._kinds)]
            self._turn += 1
            unit = self._kind_unit(kind)
            if unit is not None:
                self.finished = False
                return unit
        # Nothing to send until more records are delivered: look again in a moment, not at every turn.
        self.finished = True
        self._quiet_until = time.monotonic() + ASSOCIATIONS_QUIET_SECONDS
        return None

    def wake(self) -> None:
        self._quiet_until = 0.0

    def _kind_unit(self, kind: RecordKind) -> Unit | None:
        """A unit per association of a batch of this kind's records; the first, and the others queued."""
        sim, fields = self.simulation_id, [association.field for association in kind.associations]
        # Every end it has is in the CRM, and it has one at least.
        ready = Q(crm_associated=False, crm_id__isnull=False)
        for name in fields:
            ready &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__crm_id__isnull": False})
        ready &= functools.reduce(operator.or_, (Q(**{f"{name}__isnull": False}) for name in fields))
        records = list(
            _records_of(kind.model, sim)
            .filter(ready)
            .exclude(pk__in=self._busy[kind.name])
            .select_related(*fields)
            .order_by("id")[: self._batch]
        )
        ends = [kind.model, *(record_kind(association.to).model for association in kind.associations)]
        waiting = any(_pending(model, sim).exists() for model in ends)
        if not records or (len(records) < self._batch and waiting):
            return None
        self._busy[kind.name].update(record.pk for record in records)
        units: list[Unit] = []
        for association in kind.associations:
            linked = [(record, getattr(record, association.field)) for record in records]
            linked = [(record, end) for record, end in linked if end is not None]
            if linked:
                units.append(self._unit(kind, record_kind(association.to), linked))
        for record in records:
            self._unanswered[(kind.name, record.pk)] = sum(getattr(record, name) is not None for name in fields)
        self._queued += units[1:]
        return units[0]

    def _unit(self, kind: RecordKind, to_kind: RecordKind, linked: list[tuple[Any, Any]]) -> Unit:
        pairs = [(record.crm_id or "", end.crm_id or "") for record, end in linked]

        def send(session: CrmSession) -> int:
            return session.associate(kind, to_kind, pairs)

        return Unit(self, [record for record, _ in linked], send, kind=kind)

    def settle(self, unit: Unit, answer: Any) -> int:
        assert unit.kind is not None
        done = []
        for record in unit.records:
            key = (unit.kind.name, record.pk)
            self._unanswered[key] -= 1
            if self._unanswered[key] == 0:
                del self._unanswered[key]
                done.append(record.pk)
        unit.kind.model._default_manager.filter(pk__in=done).update(crm_associated=True)
        self._busy[unit.kind.name].difference_update(done)
        return int(answer)

    def refuse(self, unit: Unit, error: CrmError) -> tuple[Unit | None, int]:
        return None, 0  # left unassociated, and not sent again by this job; its result says why

    def fail(self, unit: Unit, message: str) -> int:
        assert unit.kind is not None
        self._busy[unit.kind.name].difference_update(record.pk for record in unit.records)
        return 0


class CreateLane:
    """A simulation's pending records of a kind its CRM creates with their associations (CrmAdapter.creates):
    those whose associated records are all in the CRM go in a create, those already there in an update.

    A create whose answer is lost may have made its records: each is marked (crm_sent_at), and once the CRM
    can find what it made (find_after_seconds), a find asks for their keys; the found are delivered, the rest
    created again. A record whose associated record failed to be delivered fails with it.
    """

    def __init__(self, simulation_id: int, kind: RecordKind, adapter: CrmAdapter) -> None:
        self.simulation_id, self.kind, self.adapter = simulation_id, kind, adapter
        self.model = kind.model
        self._batch = adapter.budget.batch_limit
        self._fields = [association.field for association in kind.associations]
        self.finished = False
        self._busy: set[int] = set()
        self._buffer: list[Unit] = []
        self._installation = _installation_key()

    def next_unit(self) -> Unit | None:
        if not self._buffer and not self.finished:
            self._buffer = self._units()
            self.finished = not self._buffer
        return self._buffer.pop(0) if self._buffer else None

    def wake(self) -> None:
        self.finished = False  # the records they wait for may have been delivered meanwhile

    def _units(self) -> list[Unit]:
        pending = _pending(self.model, self.simulation_id).exclude(pk__in=self._busy)
        self._fail_orphans(pending)
        found_after = timezone.now() - timedelta(seconds=self.adapter.find_after_seconds)
        ends_there = Q()
        for name in self._fields:
            ends_there &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__crm_id__isnull": False})
        size = self._batch
        lost = list(pending.filter(crm_id__isnull=True, crm_sent_at__lte=found_after)[:size])
        new = list(
            pending.filter(ends_there, crm_id__isnull=True, crm_sent_at__isnull=True).select_related(*self._fields)[
                :size
            ]
        )
        known = list(pending.filter(crm_id__isnull=False)[:size])
        units = [
            *([self._find(lost)] if lost else []),
            *([self._create(new)] if new and (len(new) == size or UpsertLane._gathered(new)) else []),
            *([self._update(known)] if known else []),
        ]
        for unit in units:
            self._busy.update(record.pk for record in unit.records)
        return units

    def _fail_orphans(self, pending: QuerySet[Any]) -> None:
        """A record whose associated record failed to be delivered cannot be made with it: it fails too."""
        for name in self._fields:
            orphans = pending.filter(crm_id__isnull=True, **{f"{name}__sync_status": SyncStatus.FAILED})
            orphans.update(
                sync_status=SyncStatus.FAILED,
                sync_error=f"Its {name} could not be delivered, so it cannot be made with its associations: retry "
                "the failed records of this simulation.",
            )

    def _keyed(self, records: list[Any]) -> dict[str, Any]:
        kind = self.kind
        return {_simcrm_id(kind.name, record, self._installation): record for record in records}

    def _create(self, records: list[Any]) -> Unit:
        kind, keyed = self.kind, self._keyed(records)
        inputs = [
            (
                key,
                fields,
                [
                    (record_kind(association.to).crm_object, end.crm_id)
                    for association in kind.associations
                    if (end := getattr(keyed[key], association.field)) is not None
                ],
            )
            for key, fields in self.adapter.upsert_inputs(kind, keyed, fallback=False)
        ]

        def send(session: CrmSession) -> dict[str, str]:
            return cast(CrmCreatingSession, session).create(kind, inputs)

        return Unit(self, records, send, creating=True)

    def _update(self, records: list[Any]) -> Unit:
        kind, keyed = self.kind, self._keyed(records)
        by_key = dict(self.adapter.upsert_inputs(kind, keyed, fallback=False))
        inputs = [(record.crm_id, by_key[key]) for key, record in keyed.items()]

        def send(session: CrmSession) -> dict[str, str]:
            return cast(CrmCreatingSession, session).update(kind, inputs)

        return Unit(self, records, send)

    def _find(self, records: list[Any]) -> Unit:
        kind, keys = self.kind, list(self._keyed(records))

        def send(session: CrmSession) -> dict[str, str]:
            return cast(CrmCreatingSession, session).find(kind, keys)

        return Unit(self, records, send, finding=True)

    def settle(self, unit: Unit, answer: Any) -> int:
        """Answered records are `synced` (made with their associations) unless they changed again meanwhile;
        those a find did not see are created again; those a create or update left out fail."""
        self._busy.difference_update(record.pk for record in unit.records)
        keyed = (
            {record.crm_id: record for record in unit.records}
            if not unit.creating and not unit.finding
            else self._keyed(unit.records)
        )
        answered = {key: crm_id for key, crm_id in answer.items() if key in keyed}
        with transaction.atomic():
            _mark_delivered(
                self.model, [(keyed[key].pk, crm_id, keyed[key].sync_version) for key, crm_id in answered.items()]
            )
            made = [keyed[key].pk for key in answered]
            associated = {"crm_associated": True} if self._fields else {}  # a kind with associations has the field
            self.model._default_manager.filter(pk__in=made).update(crm_sent_at=None, **associated)
            missing = {key: record for key, record in keyed.items() if key not in answered}
            if unit.finding:
                self.model._default_manager.filter(pk__in=[record.pk for record in missing.values()]).update(
                    crm_sent_at=None
                )
            else:
                _mark_refused(self.adapter, self.model, missing, answer)
        self.finished = False  # what a find did not see goes in a create, now
        return 0 if unit.finding else len(answered)

    def refuse(self, unit: Unit, error: CrmError) -> tuple[Unit | None, int]:
        return None, self.fail(unit, error.message)

    def fail(self, unit: Unit, message: str) -> int:
        self._busy.difference_update(record.pk for record in unit.records)
        ids = [record.pk for record in unit.records]
        return self.model._default_manager.filter(pk__in=ids, sync_status=SyncStatus.PENDING).update(
            sync_status=SyncStatus.FAILED, sync_error=message
        )


def _mark_refused(adapter: CrmAdapter, model: type[Any], missing: dict[str, Any], answer: Any) -> None:
    """The records a batch's answer left out failed: with the CRM's reason for each, where it gave one."""
    if not missing:
        return
    refusals = refusals_of(answer)
    generic = f"{adapter.label}'s answer to the batch did not include this record."
    by_reason: dict[str, list[int]] = {}
    for key, record in missing.items():
        by_reason.setdefault(refusals.get(key, generic), []).append(record.pk)
    for reason, ids in by_reason.items():
        model._default_manager.filter(pk__in=ids).update(sync_status=SyncStatus.FAILED, sync_error=reason)


def _creates_unanswered(unit: Unit) -> None:
    """The CRM may have made what a create sent before its answer was lost: look for it before sending again."""
    model = unit.records[0]._meta.model if unit.records else None
    if model is not None:
        model._default_manager.filter(pk__in=[record.pk for record in unit.records]).update(crm_sent_at=timezone.now())


def _probe(connection: Connection) -> None:
    """After a daily limit, one cheap call (by the one job that claims the probe) says whether the CRM
    accepts again; the others wait for the next probe."""
    adapter = crm_adapter(connection.kind)
    probe_seconds = adapter.probe_seconds()
    now = timezone.now()
    probe_claimed = Connection.objects.filter(
        Q(blocked_until__isnull=True) | Q(blocked_until__lte=now),
        pk=connection.pk,
        status=ConnectionStatus.RATE_LIMITED,
    ).update(blocked_until=now + timedelta(seconds=probe_seconds))
    if not probe_claimed:
        raise BudgetExhausted(probe_seconds, f"another job is probing {adapter.label}'s daily limit")
    with closing(crm_session(connection, probing=True)) as prober:
        adapter.account_check(prober)
        daily_usage_note(connection_id=connection.pk, usage=prober.daily_usage())
    Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.OK, last_error="", blocked_until=None)


def _records_of(model: type[Any], simulation_id: int) -> QuerySet[Any]:
    return model._default_manager.filter(simulation_id=simulation_id)


def _pending(model: type[Any], simulation_id: int) -> QuerySet[Any]:
    return model._default_manager.filter(simulation_id=simulation_id, sync_status=SyncStatus.PENDING).order_by("id")


def _mark_delivered(model: type[Any], delivered: list[tuple[int, str, int]]) -> None:
    """Store each (id, crm_id, version)'s crm_id, and mark it synced unless it changed again since it was read.

    On PostgreSQL one UPDATE joined to unnest()ed arrays (a hundred single updates cost more than the request).
    """
    if not delivered:
        return
    if db_connection.vendor != "postgresql":
        for record_id, crm_id, version in delivered:
            model._default_manager.filter(pk=record_id).update(crm_id=crm_id)
            model._default_manager.filter(pk=record_id, sync_version=version).update(
                sync_status=SyncStatus.SYNCED, sync_error=""
            )
        return
    table = db_connection.ops.quote_name(model._meta.db_table)
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET crm_id = sent.crm_id, "  # noqa: S608 (the table name is the model's)
            f"sync_status = CASE WHEN {table}.sync_version = sent.version THEN %s ELSE {table}.sync_status END, "
            f"sync_error = CASE WHEN {table}.sync_version = sent.version THEN '' ELSE {table}.sync_error END "
            f"FROM unnest(%s::bigint[], %s::text[], %s::int[]) AS sent(id, crm_id, version) WHERE {table}.id = sent.id",
            [
                SyncStatus.SYNCED,
                [record_id for record_id, _, _ in delivered],
                [crm_id for _, crm_id, _ in delivered],
                [version for _, _, version in delivered],
            ],
        )


def _refused(connection: Connection, error: CrmError) -> Stop:
    """What a refusal does to the connection, and how long the delivery stops for it."""
    if error.refusal == Refusal.AUTH:
        Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.INVALID, last_error=error.message)
        logger.warning("Connection %s: %s Deliveries are held.", connection.pk, error.message)
        return Stop(error.message, held=True)
    if error.refusal in (Refusal.RATE, Refusal.DAILY):
        Connection.objects.filter(pk=connection.pk).update(rate_limited_answers=F("rate_limited_answers") + 1)
    if error.refusal == Refusal.RATE:
        wait = error.retry_after if error.retry_after is not None else 10.0
        connection_block(connection_id=connection.pk, seconds=wait)
        return Stop(f"{error.message} Waiting {wait:.0f} s.", defer=wait)
    if error.refusal == Refusal.DAILY:
        probe = crm_adapter(connection.kind).probe_seconds()
        Connection.objects.filter(pk=connection.pk).update(
            status=ConnectionStatus.RATE_LIMITED,
            last_error=f"{error.message} Deliveries are held; SimCRM asks again every {probe:.0f} s.",
            blocked_until=timezone.now() + timedelta(seconds=probe),
        )
        return Stop(f"{error.message} Probing again in {probe:.0f} s.", defer=probe)
    return Stop(error.message)


def _fail_pending(simulation_id: int, kind: RecordKind, message: str) -> int:
    return _pending(kind.model, simulation_id).update(sync_status=SyncStatus.FAILED, sync_error=message)


def _complete(job: ScheduledJob, claim: str, result: dict[str, Any], next_delay: timedelta | None = None) -> None:
    with scheduled_job_completing(job, claim) as completion:
        completion.result = result
        if next_delay is not None:
            delivery_queue(simulation_id=job.simulation_id, delay=next_delay)


def _installation_key() -> str:
    installation = Installation.objects.order_by("id").first() or Installation.objects.create()
    return str(installation.key)


def simcrm_ids(kind: str, ids: list[int]) -> dict[int, str]:
    """The simcrm_id of each of these records of a kind, as deliveries write it."""
    installation = _installation_key()
    return {pk: _simcrm_id_of(kind, pk, installation) for pk in ids}


def _simcrm_id(object_type: str, record: Any, installation: str) -> str:
    return _simcrm_id_of(object_type, record.pk, installation)


def _simcrm_id_of(object_type: str, pk: int, installation: str) -> str:
    """The record's id across installations, written into the CRM so a repeated delivery updates, never duplicates."""
    return f"{installation}:{object_type[:-1] if object_type != 'companies' else 'company'}:{pk}"


@contextmanager
def _one_at_a_time(simulation_id: int) -> Iterator[bool]:
    """A session advisory lock on the simulation's deliveries for the job's length; SQLite runs one worker."""
    if db_connection.vendor != "postgresql":
        yield True
        return
    digest = hashlib.blake2b(str(simulation_id).encode(), digest_size=4).digest()
    ids = (_LOCK_NAMESPACE, int.from_bytes(digest, "big", signed=True))
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", ids)
        (acquired,) = cursor.fetchone()
    try:
        yield bool(acquired)
    finally:
        if acquired:
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", ids)
