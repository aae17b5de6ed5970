"""The queue: claim due jobs under a short lock, then hand each to its job type's handler outside it.

Delivery is at least once (a claim whose worker died is taken up again); effects are exactly once
because a handler completes its job in the same transaction as its effect, after re-checking the
claim under a row lock (`scheduled_job_completing`).

Lock order, everywhere: the simulation row first, then its job rows (in id order when several).
Cancelling a simulation takes them in that order too, so a job that fails while its simulation is
being cancelled cannot slip back to pending afterwards.
"""

import json
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.database import database_is_locked
from core.redaction import redact_secrets
from jobs.models import JobStatus, ScheduledJob
from jobs.registry import (
    BatchOutcome,
    JobDeferred,
    JobFailed,
    LostClaim,
    job_handler_for,
    job_queue_pass_hooks,
    job_type_rank,
    job_types_independent_of_owner,
    owner_lifecycle,
)

logger = logging.getLogger(__name__)

# A pass's first claim; each claim the batch forms complete whole doubles the next, up to
# CLAIM_BATCH. A batch costs about ten round trips whatever its size, so larger batches go faster
# (200 against 50: the bench's warm cache 972 -> 1,288 jobs/s, a 100,000-record backfill 907 -> 1,422
# records/s on one machine), while a first claim of 50 leaves due work for the other workers.
FIRST_CLAIM = 50
CLAIM_BATCH = 200
# Claims while jobs need the slow path: one, so no worker sits on slow jobs another could run.
SLOW_CLAIM = 1
MAX_BACKOFF_SECONDS = 15 * 60
# A job that met a locked SQLite database goes back to pending, due again after this.
LOCKED_RETRY_SECONDS = 0.5


class JobOutcome(StrEnum):
    COMPLETED = "completed"
    RETRIED = "retried"
    FAILED = "failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"


@dataclass
class PassSummary:
    claimed: int = 0
    completed: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    recovered: int = 0

    def add(self, outcome: JobOutcome, count: int = 1) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + count)

    def __str__(self) -> str:
        return (
            f"claimed {self.claimed}, completed {self.completed}, retried {self.retried}, "
            f"failed {self.failed}, skipped {self.skipped}, deferred {self.deferred}, recovered {self.recovered}"
        )


def scheduled_jobs_claim_due(*, limit: int = CLAIM_BATCH) -> tuple[str, list[int]]:
    """Mark up to `limit` due jobs of running simulations as processing; return (claim, ids)."""
    claim = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        due = ScheduledJob.objects.filter(
            owner_lifecycle().runnable(), status=JobStatus.PENDING, scheduled_for__lte=now
        ).select_for_update(skip_locked=True, of=("self",))
        # of=self: without it Postgres also locks the joined simulation rows and skips jobs silently.
        # Jobs with a priority first (a small partial index), then the rest, oldest first.
        first = list(
            due.filter(priority__gt=0).order_by("-priority", "scheduled_for", "id").values_list("id", flat=True)[:limit]
        )
        rest = due.filter(priority=0).order_by("scheduled_for", "id").values_list("id", flat=True)[: limit - len(first)]
        # The status filter makes the claim safe even where select_for_update is a no-op (SQLite).
        ScheduledJob.objects.filter(id__in=first + list(rest), status=JobStatus.PENDING).update(
            status=JobStatus.PROCESSING, started_at=now, finished_at=None, attempts=F("attempts") + 1, claimed_by=claim
        )
    ids = list(
        ScheduledJob.objects.filter(claimed_by=claim, status=JobStatus.PROCESSING)
        .order_by("scheduled_for", "id")
        .values_list("id", flat=True)
    )
    return claim, ids


def scheduled_jobs_next_pass_at() -> datetime | None:
    """When a pass next has work: the earliest pending job a claim would take, or the moment the
    oldest claim goes stale (its worker died); None when the queue has nothing coming."""
    due = (
        ScheduledJob.objects.filter(owner_lifecycle().runnable(), status=JobStatus.PENDING)
        .order_by("scheduled_for")
        .values_list("scheduled_for", flat=True)
        .first()
    )
    oldest_claim = (
        ScheduledJob.objects.filter(status=JobStatus.PROCESSING)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    stale_at = oldest_claim + timedelta(seconds=settings.SIMCRM_JOB_TIMEOUT_SECONDS) if oldest_claim else None
    return min((moment for moment in (due, stale_at) if moment is not None), default=None)


def scheduled_jobs_recover_stale() -> int:
    """Take up jobs whose claim timed out (their worker died, or hung): back to pending while attempts
    remain, else failed."""
    cutoff = timezone.now() - timedelta(seconds=settings.SIMCRM_JOB_TIMEOUT_SECONDS)
    stale = ScheduledJob.objects.filter(status=JobStatus.PROCESSING, started_at__lt=cutoff)
    recovered = 0
    simulation_ids: set[int] = set()
    for job_id, simulation_id in stale.order_by("id").values_list("id", "simulation_id"):
        with transaction.atomic():
            owner_lifecycle().lock(simulation_id)
            job = stale.filter(pk=job_id).select_for_update(skip_locked=True).first()
            if job is None:
                continue  # finished, or another worker is recovering it
            # Only the timeout is known here: the worker may have stopped, or may still be running it.
            message = (
                f"Its claim timed out: still processing after SIMCRM_JOB_TIMEOUT_SECONDS="
                f"{settings.SIMCRM_JOB_TIMEOUT_SECONDS} s."
            )
            _job_record_failure(job, message, retryable=True, retry_after=0)
            recovered += 1
            simulation_ids.add(simulation_id)
    owner_lifecycle().jobs_finished(simulation_ids)
    return recovered


def scheduled_job_run(*, job_id: int, claim: str) -> JobOutcome:
    """Run one claimed job through its handler; return its outcome."""
    job = ScheduledJob.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.PROCESSING or job.claimed_by != claim:
        return JobOutcome.SKIPPED  # deleted with its simulation, finished, or taken up again
    handler = job_handler_for(job.job_type)
    try:
        if handler is None:
            raise JobFailed(
                f"No handler is registered for job type {job.job_type!r}; this SimCRM knows "
                "only the job types its installed apps register. Cancel the job, or upgrade SimCRM and retry it.",
                retryable=False,
            )
        handler.run(job, claim)
        outcome = JobOutcome.COMPLETED
    except LostClaim:
        return JobOutcome.SKIPPED
    except JobDeferred as deferral:
        logger.info("Job %s deferred %.1f s: %s", job_id, deferral.delay, deferral)
        deferred = scheduled_jobs_defer(claim=claim, deferrals={job.pk: (deferral.delay, str(deferral))})
        return JobOutcome.DEFERRED if deferred else JobOutcome.SKIPPED
    except JobFailed as error:
        outcome = _job_fail(job, claim, str(error), retryable=error.retryable, retry_after=error.retry_after)
    except Exception as error:  # a bug or a database fault must not leave the job processing forever
        if database_is_locked(error):
            deferred = scheduled_jobs_defer(
                claim=claim, deferrals={job.pk: (LOCKED_RETRY_SECONDS, "The database was busy; trying again.")}
            )
            return JobOutcome.DEFERRED if deferred else JobOutcome.SKIPPED
        logger.exception("Job %s raised an unexpected error", job_id)
        outcome = _job_fail(job, claim, f"Unexpected error: {type(error).__name__}: {error}", retryable=True)
    if outcome != JobOutcome.RETRIED:
        owner_lifecycle().jobs_finished({job.simulation_id})
    return outcome


def scheduled_jobs_release(*, claim: str, job_ids: list[int]) -> int:
    """Hand back claimed jobs that were never started, as if they had not been claimed."""
    return ScheduledJob.objects.filter(id__in=job_ids, claimed_by=claim, status=JobStatus.PROCESSING).update(
        status=JobStatus.PENDING, started_at=None, attempts=F("attempts") - 1, claimed_by=""
    )


def scheduled_jobs_defer(*, claim: str, deferrals: dict[int, tuple[float, str]]) -> int:
    """Put claimed jobs back to pending, due again after their delay, without using an attempt."""
    now = timezone.now()
    deferred = 0
    for job_id, (delay, message) in sorted(deferrals.items()):
        deferred += ScheduledJob.objects.filter(pk=job_id, claimed_by=claim, status=JobStatus.PROCESSING).update(
            status=JobStatus.PENDING,
            scheduled_for=now + timedelta(seconds=delay),
            started_at=None,
            attempts=F("attempts") - 1,
            claimed_by="",
            last_error=redact_secrets(message),
        )
    return deferred


def scheduled_jobs_run_due(
    *, deadline: float | None = None, on_claimed: Callable[[int, int], None] | None = None
) -> PassSummary:
    """One pass: recover stale claims, then claim and run every job that is due now.

    With a deadline (time.monotonic()), stop starting jobs once it passes and release the rest.
    `on_claimed(claimed, limit)` is called after every claim that got jobs (the dispatcher uses it
    to wake more workers when a claim comes back full).

    Jobs are claimed FIRST_CLAIM, then up to CLAIM_BATCH at a time while their handlers' batch forms
    complete them. A job
    left to the slow path (one at a time, up to seconds) is run alone: the batch's other leftovers
    go back at once, so idle workers take them instead of waiting behind this one, and the next
    claims take one job at a time until a batch form completes a job again.
    """
    summary = PassSummary(recovered=scheduled_jobs_recover_stale())
    _pass_hooks_run()
    hooks_ran_since_claim = True  # an idle pass asks the hooks once, not again when it finds nothing
    limit = FIRST_CLAIM
    while deadline is None or time.monotonic() < deadline:
        claim, ids = scheduled_jobs_claim_due(limit=limit)
        if not ids:
            if hooks_ran_since_claim or not _pass_hooks_run():
                break
            hooks_ran_since_claim = True
            continue
        hooks_ran_since_claim = False
        if on_claimed is not None:
            on_claimed(len(ids), limit)
        summary.claimed += len(ids)
        try:
            batch = scheduled_jobs_run_batch(claim=claim, job_ids=ids)
        except OperationalError as error:
            if database_is_locked(error):
                # Hand the jobs straight back (the ones a batch form finished stay finished), so the
                # next pass runs them, instead of leaving them processing until their claim times out.
                scheduled_jobs_release(claim=claim, job_ids=ids)
            raise
        summary.add(JobOutcome.COMPLETED, len(batch.completed))
        summary.add(JobOutcome.DEFERRED, len(batch.deferred))
        leftovers = [job_id for job_id in ids if job_id not in batch.completed and job_id not in batch.deferred]
        if len(leftovers) > 1:
            summary.claimed -= scheduled_jobs_release(claim=claim, job_ids=leftovers[1:])
            leftovers = leftovers[:1]
        if leftovers:
            limit = SLOW_CLAIM
        else:
            limit = FIRST_CLAIM if limit < FIRST_CLAIM else min(limit * 2, CLAIM_BATCH)
        for job_id in leftovers:
            if deadline is not None and time.monotonic() >= deadline:
                summary.claimed -= scheduled_jobs_release(claim=claim, job_ids=[job_id])
                break
            summary.add(scheduled_job_run(job_id=job_id, claim=claim))
    return summary


def _pass_hooks_run() -> int:
    """Let the apps make the jobs that are due next (a planner); return how many they made."""
    made = 0
    for hook in job_queue_pass_hooks():
        try:
            made += hook()
        except DatabaseError:
            raise  # the dispatcher reconnects
        except Exception:
            logger.exception("Pass hook %s failed; the queue goes on without it", getattr(hook, "__name__", hook))
    return made


def scheduled_jobs_run_batch(*, claim: str, job_ids: list[int]) -> BatchOutcome:
    """The fast path: give each job type's batch form its claimed jobs, type by type in registration
    order (each commits before the next starts); return the ids completed and deferred.

    Jobs it leaves out (no batch form, or work that needs the slow path) go through
    scheduled_job_run one by one.
    """
    jobs = list(
        ScheduledJob.objects.filter(id__in=job_ids, claimed_by=claim, status=JobStatus.PROCESSING)
        .only("id", "job_type", "simulation_id", "payload", "scheduled_for")
        .order_by("scheduled_for", "id")
    )
    by_type: dict[str, list[ScheduledJob]] = defaultdict(list)
    for job in jobs:
        by_type[job.job_type].append(job)
    completed: set[int] = set()
    deferred: set[int] = set()
    for job_type in sorted(by_type, key=job_type_rank):
        handler = job_handler_for(job_type)
        if handler is not None and handler.run_batch is not None:
            outcome = handler.run_batch(by_type[job_type], claim)
            completed |= outcome.completed
            deferred |= outcome.deferred
    if completed:
        owner_lifecycle().jobs_finished({job.simulation_id for job in jobs if job.pk in completed})
    return BatchOutcome(completed=frozenset(completed), deferred=frozenset(deferred))


class Completion:
    """What a handler says about its job when completing it: the job's `result`."""

    def __init__(self, job: ScheduledJob) -> None:
        self.job = job
        self.result: dict[str, Any] = {}


@contextmanager
def scheduled_job_completing(job: ScheduledJob, claim: str) -> Iterator[Completion]:
    """A transaction in which a handler makes its effect; the job is completed in the same commit.

    Raises LostClaim (before the block runs) when the job is no longer this claim's.
    """
    with transaction.atomic():
        locked = _claimed_job_locked(job.pk, claim)
        completion = Completion(locked)
        yield completion
        locked.status = JobStatus.COMPLETED
        locked.result = completion.result
        locked.finished_at = timezone.now()
        locked.last_error = ""
        locked.save(update_fields=["status", "result", "finished_at", "last_error"])


class BatchCompletion:
    """The claimed jobs still ours in a batch, the result of each that the handler completes, and the
    (delay, reason) of each it defers."""

    def __init__(self, still_ours: set[int]) -> None:
        self.still_ours = still_ours
        self.results: dict[int, dict[str, Any]] = {}
        self.deferrals: dict[int, tuple[float, str]] = {}

    def outcome(self) -> BatchOutcome:
        return BatchOutcome(completed=frozenset(self.results), deferred=frozenset(self.deferrals))


@contextmanager
def scheduled_jobs_completing(job_ids: list[int], claim: str) -> Iterator[BatchCompletion]:
    """A transaction in which a batch handler makes its effects; the jobs whose results it sets are
    completed in the same commit. Jobs no longer this claim's are left out of `still_ours`."""
    with transaction.atomic():
        still_ours = set(
            ScheduledJob.objects.select_for_update()
            .filter(id__in=job_ids, claimed_by=claim, status=JobStatus.PROCESSING)
            .order_by("id")
            .values_list("id", flat=True)
        )
        completion = BatchCompletion(still_ours)
        yield completion
        _jobs_mark_completed(completion.results, finished_at=timezone.now())
        scheduled_jobs_defer(claim=claim, deferrals=completion.deferrals)


def _jobs_mark_completed(results: dict[int, dict[str, Any]], *, finished_at: datetime) -> None:
    """Complete these jobs with their results in one statement.

    bulk_update builds a CASE with a WHEN per row for every field, and that expression tree cost
    more CPU than the rest of the batch together (profiled); on PostgreSQL one UPDATE joins the
    rows to unnest()ed arrays instead. Only `result` differs from job to job.
    """
    if not results:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ScheduledJob._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, finished_at = %s, last_error = '', result = batch.result::jsonb "  # noqa: S608
                f"FROM unnest(%s::bigint[], %s::text[]) AS batch(id, result) WHERE {table}.id = batch.id",
                [JobStatus.COMPLETED, finished_at, list(results), [json.dumps(result) for result in results.values()]],
            )
        return
    ScheduledJob.objects.filter(id__in=list(results)).update(
        status=JobStatus.COMPLETED, finished_at=finished_at, last_error=""
    )
    jobs = [ScheduledJob(id=job_id, result=result) for job_id, result in results.items()]
    ScheduledJob.objects.bulk_update(jobs, ["result"])


def _claimed_job_locked(job_id: int, claim: str) -> ScheduledJob:
    locked = (
        ScheduledJob.objects.select_for_update()
        .filter(pk=job_id, status=JobStatus.PROCESSING, claimed_by=claim)
        .first()
    )
    if locked is None:
        raise LostClaim(job_id)
    return locked


def _job_fail(
    job: ScheduledJob, claim: str, message: str, *, retryable: bool, retry_after: float | None = None
) -> JobOutcome:
    try:
        with transaction.atomic():
            owner_lifecycle().lock(job.simulation_id)
            locked = _claimed_job_locked(job.pk, claim)
            return _job_record_failure(locked, message, retryable=retryable, retry_after=retry_after)
    except LostClaim:
        return JobOutcome.SKIPPED


def _job_record_failure(job: ScheduledJob, message: str, *, retryable: bool, retry_after: float | None) -> JobOutcome:
    """Retry, fail or (for a cancelled simulation) cancel the job; the caller holds both locks."""
    message = redact_secrets(message)  # unexpected errors are not scrubbed at their source
    now = timezone.now()
    max_attempts = settings.SIMCRM_MAX_ATTEMPTS
    independent = job.job_type in job_types_independent_of_owner()
    if retryable and not independent and owner_lifecycle().is_cancelled(job.simulation_id):
        job.transition_to(JobStatus.CANCELLED)
        job.finished_at = now
        job.last_error = f"{message} Not retried: the simulation was cancelled."
        outcome = JobOutcome.SKIPPED
    elif retryable and job.attempts < max_attempts:
        delay = retry_backoff_seconds(attempt=job.attempts, retry_after=retry_after)
        job.transition_to(JobStatus.PENDING)
        job.scheduled_for = now + timedelta(seconds=delay)
        job.last_error = f"Attempt {job.attempts} of {max_attempts} failed: {message} Retrying in {delay:.0f} s."
        outcome = JobOutcome.RETRIED
    else:
        job.transition_to(JobStatus.FAILED)
        job.finished_at = now
        # Said once, here: a message from its source never promises a retry the runner may not make.
        tries = f"{job.attempts} attempt" if job.attempts == 1 else f"all {job.attempts} attempts"
        gave_up = (
            f" Failed on {tries}, so it is not retried again; retry it once the cause is fixed." if retryable else ""
        )
        job.last_error = f"{message}{gave_up}"
        outcome = JobOutcome.FAILED
    job.claimed_by = ""
    job.save(update_fields=["status", "scheduled_for", "last_error", "finished_at", "claimed_by"])
    logger.warning("Job %s %s: %s", job.pk, outcome, job.last_error)
    return outcome


def retry_backoff_seconds(*, attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter (a uniform draw from the upper half of the step), never sooner
    than the server's Retry-After."""
    base = settings.SIMCRM_RETRY_BASE_SECONDS * (2 ** max(attempt - 1, 0))
    delay = random.uniform(base / 2, base) if base else 0.0
    return min(max(delay, retry_after or 0.0), MAX_BACKOFF_SECONDS)
