"""The orchestrator: claim due jobs under a short lock, then do the work outside it.

Delivery is at least once (a claim whose worker died is taken up again); effects are exactly
once because finishing re-checks the claim under a row lock, and the database refuses a second
contact for the same job or a repeated email in one simulation.
"""

import json
import logging
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from personas.errors import PersonaError, redact_secrets
from personas.models import CachedPersona
from personas.services import (
    TakenPersona,
    name_key,
    persona_pick_unused,
    persona_pool_record_hits,
    persona_pools_warm,
    persona_take,
)
from simulations.models import Contact, Simulation, SimulationStatus

logger = logging.getLogger(__name__)

CLAIM_BATCH = 50
# Claims while jobs need the slow path: one, so no worker sits on slow jobs another could run.
SLOW_CLAIM = 1
MAX_BACKOFF_SECONDS = 15 * 60
# Two jobs of one simulation can pick the same persona at once; the loser picks again.
PERSONA_PICK_ROUNDS = 5
# The fast path's tries when another worker's batch for the same simulation commits first.
FAST_PATH_ROUNDS = 2


@dataclass
class PassSummary:
    claimed: int = 0
    completed: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    recovered: int = 0
    outcomes: dict[int, str] = field(default_factory=dict)

    def add(self, job_id: int, outcome: str) -> None:
        self.outcomes[job_id] = outcome
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return (
            f"claimed {self.claimed}, completed {self.completed}, retried {self.retried}, "
            f"failed {self.failed}, skipped {self.skipped}, recovered {self.recovered}"
        )


class LostClaim(Exception):
    """The job is no longer ours: it was cancelled, or taken up again after a timeout."""


def scheduled_jobs_claim_due(*, limit: int = CLAIM_BATCH) -> tuple[str, list[int]]:
    """Mark up to `limit` due jobs of running simulations as processing; return (claim, ids)."""
    claim = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        due = (
            ScheduledJob.objects.filter(
                status=JobStatus.PENDING, scheduled_for__lte=now, simulation__status=SimulationStatus.RUNNING
            )
            .order_by("scheduled_for", "id")
            # of=self: without it Postgres also locks the joined simulation rows and skips jobs silently.
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:limit]
        )
        # The status filter makes the claim safe even where select_for_update is a no-op (SQLite).
        ScheduledJob.objects.filter(id__in=list(due), status=JobStatus.PENDING).update(
            status=JobStatus.PROCESSING, started_at=now, finished_at=None, attempts=F("attempts") + 1, claimed_by=claim
        )
    ids = list(
        ScheduledJob.objects.filter(claimed_by=claim, status=JobStatus.PROCESSING)
        .order_by("scheduled_for", "id")
        .values_list("id", flat=True)
    )
    return claim, ids


def scheduled_jobs_recover_stale() -> int:
    """Take up jobs whose worker died: back to pending while attempts remain, else failed."""
    cutoff = timezone.now() - timedelta(seconds=settings.SIMCRM_JOB_TIMEOUT_SECONDS)
    stale = ScheduledJob.objects.filter(status=JobStatus.PROCESSING, started_at__lt=cutoff)
    recovered = 0
    simulation_ids: set[int] = set()
    for job_id, simulation_id in stale.order_by("id").values_list("id", "simulation_id"):
        with transaction.atomic():
            _simulation_lock(simulation_id)
            job = stale.filter(pk=job_id).select_for_update(skip_locked=True).first()
            if job is None:
                continue  # finished, or another worker is recovering it
            message = (
                f"Attempt {job.attempts} did not finish within SIMCRM_JOB_TIMEOUT_SECONDS="
                f"{settings.SIMCRM_JOB_TIMEOUT_SECONDS} (its worker stopped)."
            )
            _job_record_failure(job, message, retryable=True, retry_after=0)
            recovered += 1
            simulation_ids.add(simulation_id)
    simulations_complete_finished(simulation_ids=simulation_ids)
    return recovered


def scheduled_job_run(*, job_id: int, claim: str) -> str:
    """Run one claimed job; return its outcome: completed, retried, failed or skipped."""
    job = ScheduledJob.objects.select_related("simulation").get(pk=job_id)
    if job.status != JobStatus.PROCESSING or job.claimed_by != claim:
        return "skipped"
    try:
        _contact_create_for_job(job, claim)
        outcome = "completed"
    except LostClaim:
        return "skipped"
    except PersonaError as error:
        outcome = _job_fail(job, claim, str(error), retryable=error.retryable, retry_after=error.retry_after)
    except Exception as error:  # a bug or a database fault must not leave the job processing forever
        logger.exception("Job %s raised an unexpected error", job_id)
        outcome = _job_fail(job, claim, f"Unexpected error: {type(error).__name__}: {error}", retryable=True)
    if outcome != "retried":
        simulations_complete_finished(simulation_ids={job.simulation_id})
    return outcome


def scheduled_jobs_release(*, claim: str, job_ids: list[int]) -> int:
    """Hand back claimed jobs that were never started, as if they had not been claimed."""
    return ScheduledJob.objects.filter(id__in=job_ids, claimed_by=claim, status=JobStatus.PROCESSING).update(
        status=JobStatus.PENDING, started_at=None, attempts=F("attempts") - 1, claimed_by=""
    )


def scheduled_jobs_run_due(
    *, deadline: float | None = None, on_claimed: Callable[[int, int], None] | None = None
) -> PassSummary:
    """One pass: recover stale claims, then claim and run every job that is due now.

    With a deadline (time.monotonic()), stop starting jobs once it passes and release the rest.
    `on_claimed(claimed, limit)` is called after every claim that got jobs (the dispatcher uses it
    to wake more workers when a claim comes back full).

    Jobs are claimed CLAIM_BATCH at a time while the fast path completes them. A job that needs the
    slow path (a provider call, up to seconds) is run alone: the batch's other slow jobs go back at
    once, so idle workers take them instead of waiting behind this one, and the next claims take
    one job at a time until a job completes on the fast path again.
    """
    summary = PassSummary(recovered=scheduled_jobs_recover_stale())
    limit = CLAIM_BATCH
    while deadline is None or time.monotonic() < deadline:
        claim, ids = scheduled_jobs_claim_due(limit=limit)
        if not ids:
            break
        if on_claimed is not None:
            on_claimed(len(ids), limit)
        summary.claimed += len(ids)
        done = scheduled_jobs_run_batch(claim=claim, job_ids=ids)
        for job_id, outcome in done.items():
            summary.add(job_id, outcome)
        leftovers = [job_id for job_id in ids if job_id not in done]
        if len(leftovers) > 1:
            summary.claimed -= scheduled_jobs_release(claim=claim, job_ids=leftovers[1:])
            leftovers = leftovers[:1]
        limit = SLOW_CLAIM if leftovers else CLAIM_BATCH
        for job_id in leftovers:
            if deadline is not None and time.monotonic() >= deadline:
                summary.claimed -= scheduled_jobs_release(claim=claim, job_ids=[job_id])
                break
            summary.add(job_id, scheduled_job_run(job_id=job_id, claim=claim))
    return summary


def scheduled_jobs_run_batch(*, claim: str, job_ids: list[int]) -> dict[int, str]:
    """The fast path: complete every claimed job whose pool is warm, in one transaction.

    Returns the outcome of each job it completed. Jobs it leaves out (a cold or used-up pool, or a
    batch that lost an email race with another worker twice) go through scheduled_job_run one by one.
    """
    jobs = list(
        ScheduledJob.objects.filter(id__in=job_ids, claimed_by=claim, status=JobStatus.PROCESSING)
        .select_related("simulation")
        .only("id", "scheduled_for", "simulation__id", "simulation__theme", "simulation__industry")
        .order_by("scheduled_for", "id")
    )
    if not jobs:
        return {}
    pools = persona_pools_warm(themes_and_industries={(job.simulation.theme, job.simulation.industry) for job in jobs})
    if not pools:
        return {}
    for _ in range(FAST_PATH_ROUNDS):
        picks = _fast_path_picks(jobs, pools)
        if not picks:
            return {}
        try:
            completed = _jobs_complete_in_bulk(claim, picks)
            break
        except IntegrityError:
            # Another worker of the same simulation committed one of these personas first: read its
            # contacts and pick again, rather than send the whole batch down the slow path.
            continue
        except OperationalError as error:
            if not _is_lock_conflict(error):
                raise
            continue  # the transaction was rolled back whole; nothing of it stays
    else:
        return {}
    simulations_complete_finished(simulation_ids={job.simulation_id for job, _, _ in picks})
    return dict.fromkeys(completed, "completed")


def _fast_path_picks(
    jobs: list[ScheduledJob], pools: dict[tuple[str, str], CachedPersona]
) -> list[tuple[ScheduledJob, TakenPersona, int]]:
    """An unused persona for every job whose pool has one, distinct within each simulation."""
    used = _used_personas(simulation_ids={job.simulation_id for job in jobs})
    picks: list[tuple[ScheduledJob, TakenPersona, int]] = []
    for job in jobs:
        pool = pools.get((job.simulation.theme, job.simulation.industry))
        if pool is None:
            continue
        emails, names = used[job.simulation_id]
        taken = persona_pick_unused(pool=pool, used_emails=emails, used_names=names)
        if taken is None:
            continue
        emails.add(taken.data["email"].lower())
        names.add(name_key(taken.data["firstname"], taken.data["lastname"]))
        picks.append((job, taken, pool.pk))
    return picks


def _is_lock_conflict(error: OperationalError) -> bool:
    """A deadlock or serialization failure: the database rolled the transaction back; trying again is safe."""
    return getattr(error.__cause__, "sqlstate", None) in ("40P01", "40001")


def _used_personas(*, simulation_ids: set[int]) -> dict[int, tuple[set[str], set[str]]]:
    used: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    contacts = Contact.objects.filter(simulation_id__in=simulation_ids)
    for simulation_id, email, first, last in contacts.values_list("simulation_id", "email", "firstname", "lastname"):
        used[simulation_id][0].add(email.lower())
        used[simulation_id][1].add(name_key(first, last))
    return used


def _jobs_complete_in_bulk(claim: str, picks: list[tuple[ScheduledJob, TakenPersona, int]]) -> set[int]:
    now = timezone.now()
    with transaction.atomic():
        still_ours = set(
            ScheduledJob.objects.select_for_update()
            .filter(id__in=[job.pk for job, _, _ in picks], claimed_by=claim, status=JobStatus.PROCESSING)
            .values_list("id", flat=True)
        )
        # Insert in (simulation, email) order: two batches of one simulation then meet on the unique
        # index in the same order, so one waits for the other (and gets IntegrityError), never a deadlock.
        picks = sorted(
            (pick for pick in picks if pick[0].pk in still_ours),
            key=lambda pick: (pick[0].simulation_id, pick[1].data["email"]),
        )
        contacts = Contact.objects.bulk_create(
            Contact(simulation_id=job.simulation_id, job_id=job.pk, source=taken.source, **taken.data)
            for job, taken, _ in picks
        )
        _jobs_mark_completed(
            {job.pk: _job_result(contact, taken) for (job, taken, _), contact in zip(picks, contacts, strict=True)},
            finished_at=now,
        )
        # In the same commit, and in id order: every worker locks pool rows in one order, so no deadlock.
        hits = Counter(pool_id for _, _, pool_id in picks)
        for pool_id in sorted(hits):
            persona_pool_record_hits(pool_id=pool_id, hits=hits[pool_id])
    return still_ours


def _jobs_mark_completed(results: dict[int, dict[str, object]], *, finished_at: datetime) -> None:
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


def simulations_complete_finished(*, simulation_ids: set[int]) -> int:
    """Running simulations whose jobs have all finished become completed.

    Called after the caller's own commit, so the last worker to finish a simulation's jobs always
    sees every other worker's finished jobs; one set-based statement, no lock needed.
    """
    unfinished = ScheduledJob.objects.filter(
        simulation_id=OuterRef("pk"), status__in=[JobStatus.PENDING, JobStatus.PROCESSING]
    )
    return (
        Simulation.objects.filter(pk__in=simulation_ids, status=SimulationStatus.RUNNING)
        .exclude(Exists(unfinished))
        .update(status=SimulationStatus.COMPLETED, updated_at=timezone.now())
    )


def _contact_create_for_job(job: ScheduledJob, claim: str) -> None:
    simulation = job.simulation
    for _ in range(PERSONA_PICK_ROUNDS):
        used_emails, used_names = _used_personas(simulation_ids={simulation.pk})[simulation.pk]
        taken = persona_take(
            theme=simulation.theme, industry=simulation.industry, used_emails=used_emails, used_names=used_names
        )
        try:
            with transaction.atomic():
                locked = _claimed_job_locked(job.pk, claim)
                contact = Contact.objects.create(simulation=simulation, job=locked, source=taken.source, **taken.data)
                locked.status = JobStatus.COMPLETED
                locked.result = _job_result(contact, taken)
                locked.finished_at = timezone.now()
                locked.last_error = ""
                locked.save(update_fields=["status", "result", "finished_at", "last_error"])
            return
        except IntegrityError:
            # Another job of this simulation saved the same persona first; pick again.
            continue
    raise PersonaError("Could not find an unused persona for this simulation; will retry.", retryable=True)


def _claimed_job_locked(job_id: int, claim: str) -> ScheduledJob:
    locked = (
        ScheduledJob.objects.select_for_update()
        .filter(pk=job_id, status=JobStatus.PROCESSING, claimed_by=claim)
        .first()
    )
    if locked is None:
        raise LostClaim(job_id)
    return locked


def _job_result(contact: Contact, taken: TakenPersona) -> dict[str, object]:
    return {
        "simulated": True,
        "contact_id": contact.pk,
        "source": taken.source,
        "persona_cached": taken.cached,
        "contact": dict(taken.data),
    }


def _job_fail(job: ScheduledJob, claim: str, message: str, *, retryable: bool, retry_after: float | None = None) -> str:
    try:
        with transaction.atomic():
            _simulation_lock(job.simulation_id)
            locked = _claimed_job_locked(job.pk, claim)
            return _job_record_failure(locked, message, retryable=retryable, retry_after=retry_after)
    except LostClaim:
        return "skipped"


def _simulation_lock(simulation_id: int) -> None:
    """Lock the simulation before one of its jobs (cancel takes them in that order too), so a job
    that fails while its simulation is being cancelled cannot slip back to pending afterwards."""
    Simulation.objects.select_for_update(no_key=True).filter(pk=simulation_id).values_list("id").first()


def _job_record_failure(job: ScheduledJob, message: str, *, retryable: bool, retry_after: float | None) -> str:
    message = redact_secrets(message)  # unexpected errors are not scrubbed at their source
    now = timezone.now()
    max_attempts = settings.SIMCRM_MAX_ATTEMPTS
    cancelled = Simulation.objects.filter(pk=job.simulation_id, status=SimulationStatus.CANCELLED).exists()
    if retryable and cancelled:
        job.transition_to(JobStatus.CANCELLED)
        job.finished_at = now
        job.last_error = f"{message} Not retried: the simulation was cancelled."
        outcome = "skipped"
    elif retryable and job.attempts < max_attempts:
        delay = retry_backoff_seconds(attempt=job.attempts, retry_after=retry_after)
        job.transition_to(JobStatus.PENDING)
        job.scheduled_for = now + timedelta(seconds=delay)
        job.last_error = f"Attempt {job.attempts} of {max_attempts} failed: {message} Retrying in {delay:.0f} s."
        outcome = "retried"
    else:
        job.transition_to(JobStatus.FAILED)
        job.finished_at = now
        gave_up = f" Gave up after {job.attempts} attempt(s)." if retryable else ""
        job.last_error = f"{message}{gave_up}"
        outcome = "failed"
    job.claimed_by = ""
    job.save(update_fields=["status", "scheduled_for", "last_error", "finished_at", "claimed_by"])
    logger.warning("Job %s %s: %s", job.pk, outcome, job.last_error)
    return outcome


def retry_backoff_seconds(*, attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the server's Retry-After."""
    base = settings.SIMCRM_RETRY_BASE_SECONDS * (2 ** max(attempt - 1, 0))
    delay = random.uniform(base / 2, base) if base else 0.0
    return min(max(delay, retry_after or 0.0), MAX_BACKOFF_SECONDS)
