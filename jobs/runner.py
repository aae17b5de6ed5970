"""The orchestrator: claim due jobs under a short lock, then do the work outside it.

Delivery is at least once (a claim whose worker died is taken up again); effects are exactly
once because finishing re-checks the claim under a row lock, and the database refuses a second
contact for the same job or a repeated email in one simulation.
"""

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from personas.errors import PersonaError
from personas.services import TakenPersona, persona_take
from simulations.models import Contact, Simulation, SimulationStatus

logger = logging.getLogger(__name__)

CLAIM_BATCH = 20
MAX_BACKOFF_SECONDS = 15 * 60
# Two jobs of one simulation can pick the same persona at once; the loser picks again.
PERSONA_PICK_ROUNDS = 5


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
    recovered = 0
    with transaction.atomic():
        stale = list(
            ScheduledJob.objects.filter(status=JobStatus.PROCESSING, started_at__lt=cutoff)
            .select_for_update(skip_locked=True)
            .order_by("id")
        )
        for job in stale:
            message = (
                f"Attempt {job.attempts} did not finish within SIMCRM_JOB_TIMEOUT_SECONDS="
                f"{settings.SIMCRM_JOB_TIMEOUT_SECONDS} (its worker stopped)."
            )
            _job_record_failure(job, message, retryable=True, retry_after=0)
            recovered += 1
    for simulation_id in {job.simulation_id for job in stale}:
        simulation_complete_if_done(simulation_id=simulation_id)
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
        simulation_complete_if_done(simulation_id=job.simulation_id)
    return outcome


def scheduled_jobs_release(*, claim: str, job_ids: list[int]) -> int:
    """Hand back claimed jobs that were never started, as if they had not been claimed."""
    return ScheduledJob.objects.filter(id__in=job_ids, claimed_by=claim, status=JobStatus.PROCESSING).update(
        status=JobStatus.PENDING, started_at=None, attempts=F("attempts") - 1, claimed_by=""
    )


def scheduled_jobs_run_due(*, deadline: float | None = None) -> PassSummary:
    """One pass: recover stale claims, then claim and run every job that is due now.

    With a deadline (time.monotonic()), stop starting jobs once it passes and release the rest.
    """
    summary = PassSummary(recovered=scheduled_jobs_recover_stale())
    while deadline is None or time.monotonic() < deadline:
        claim, ids = scheduled_jobs_claim_due(limit=CLAIM_BATCH)
        if not ids:
            break
        summary.claimed += len(ids)
        for position, job_id in enumerate(ids):
            if deadline is not None and time.monotonic() >= deadline:
                summary.claimed -= scheduled_jobs_release(claim=claim, job_ids=ids[position:])
                break
            summary.add(job_id, scheduled_job_run(job_id=job_id, claim=claim))
    return summary


def simulation_complete_if_done(*, simulation_id: int) -> None:
    """A running simulation whose jobs have all finished is completed."""
    with transaction.atomic():
        simulation = Simulation.objects.select_for_update().get(pk=simulation_id)
        unfinished = simulation.jobs.filter(status__in=[JobStatus.PENDING, JobStatus.PROCESSING]).exists()
        if simulation.status == SimulationStatus.RUNNING and not unfinished:
            simulation.transition_to(SimulationStatus.COMPLETED)
            simulation.save(update_fields=["status", "updated_at"])


def _contact_create_for_job(job: ScheduledJob, claim: str) -> None:
    simulation = job.simulation
    for _ in range(PERSONA_PICK_ROUNDS):
        used = Contact.objects.filter(simulation=simulation).values_list("email", "firstname", "lastname")
        taken = persona_take(
            theme=simulation.theme,
            industry=simulation.industry,
            used_emails={email.lower() for email, _, _ in used},
            used_names={f"{first} {last}".casefold() for _, first, last in used},
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


def _job_fail(
    job: ScheduledJob, claim: str, message: str, *, retryable: bool, retry_after: float | None = None
) -> str:
    try:
        with transaction.atomic():
            locked = _claimed_job_locked(job.pk, claim)
            return _job_record_failure(locked, message, retryable=retryable, retry_after=retry_after)
    except LostClaim:
        return "skipped"


def _job_record_failure(job: ScheduledJob, message: str, *, retryable: bool, retry_after: float | None) -> str:
    now = timezone.now()
    max_attempts = settings.SIMCRM_MAX_ATTEMPTS
    if retryable and job.attempts < max_attempts:
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
