from django.db import models

from core.errors import ConflictError


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


JOB_TRANSITIONS: dict[str, set[str]] = {
    JobStatus.PENDING: {JobStatus.PROCESSING, JobStatus.CANCELLED},
    # processing -> pending: a retryable failure, or a claim whose worker died;
    # processing -> cancelled: such a job whose simulation was cancelled meanwhile.
    JobStatus.PROCESSING: {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.PENDING, JobStatus.CANCELLED},
    JobStatus.FAILED: {JobStatus.PENDING, JobStatus.CANCELLED},
    JobStatus.COMPLETED: set(),
    JobStatus.CANCELLED: set(),
}


class ScheduledJob(models.Model):
    simulation = models.ForeignKey("simulations.Simulation", on_delete=models.CASCADE, related_name="jobs")
    # Any type a registered handler runs (jobs.registry); a job of an unknown type fails readably.
    job_type = models.CharField(max_length=32)
    payload = models.JSONField(default=dict, blank=True)
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who holds the current claim; finishing checks it so a job taken up again cannot complete twice.
    claimed_by = models.CharField(max_length=64, blank=True)
    # Due jobs of a higher priority are claimed before any other due job, however old (a delivery keeps
    # pace with a backfill's thousands of past-due jobs); whoever creates the job sets it.
    priority = models.SmallIntegerField(default=0)

    class Meta:
        db_table = "scheduled_jobs"
        ordering = ["scheduled_for", "id"]
        indexes = [
            models.Index(
                fields=["scheduled_for", "id"],
                name="scheduled_jobs_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["started_at"],
                name="scheduled_jobs_processing_idx",
                condition=models.Q(status="processing"),
            ),
            models.Index(
                fields=["scheduled_for", "id"],
                name="scheduled_jobs_first_idx",
                condition=models.Q(status="pending", priority__gt=0),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=JobStatus.values), name="scheduled_job_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} #{self.pk} ({self.status})"

    def transition_to(self, new_status: str) -> None:
        """Move to new_status, or raise ConflictError when the move is not allowed."""
        if new_status not in JOB_TRANSITIONS[self.status]:
            raise ConflictError(f"A {self.status} job cannot become {new_status}.")
        self.status = new_status


class WorkerHeartbeat(models.Model):
    """A worker process's last sign of life: the status endpoint says whether any worker runs."""

    worker = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "worker_heartbeats"

    def __str__(self) -> str:
        return f"{self.worker} at {self.last_seen_at.isoformat()}"
