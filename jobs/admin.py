from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from jobs.models import JobStatus, ScheduledJob
from jobs.services import scheduled_job_cancel, scheduled_job_retry
from simcrm_project.errors import ConflictError


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "job_type",
        "simulation",
        "status",
        "scheduled_for",
        "attempts",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "job_type", "simulation"]
    search_fields = ["last_error", "simulation__name", "simulation__theme"]
    date_hierarchy = "scheduled_for"
    list_select_related = ["simulation"]
    # Only the system writes these; staff change a job through the actions.
    readonly_fields = [
        "simulation",
        "job_type",
        "payload",
        "status",
        "result",
        "attempts",
        "last_error",
        "created_at",
        "started_at",
        "finished_at",
        "claimed_by",
    ]
    fields = ["simulation", "job_type", "scheduled_for", *readonly_fields[2:]]
    actions = ["retry_failed_jobs", "cancel_jobs"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry selected failed jobs")
    def retry_failed_jobs(self, request: HttpRequest, queryset: QuerySet[ScheduledJob]) -> None:
        self._apply(request, queryset.filter(status=JobStatus.FAILED), scheduled_job_retry, "retried")

    @admin.action(description="Cancel selected pending or failed jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[ScheduledJob]) -> None:
        self._apply(request, queryset, scheduled_job_cancel, "cancelled")

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[ScheduledJob],
        service: Callable[..., ScheduledJob],
        verb: str,
    ) -> None:
        done, refused = 0, []
        for job in queryset:
            try:
                service(job=job)
                done += 1
            except ConflictError as error:
                refused.append(f"#{job.pk}: {error}")
        self.message_user(request, f"{done} job(s) {verb}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Skipped " + "; ".join(refused), messages.WARNING)
