from collections import Counter

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_actions import apply_service_to_each
from jobs.models import JobStatus, ScheduledJob
from jobs.services import scheduled_job_cancel, scheduled_job_retry, scheduled_jobs_purge


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
        failed = list(queryset.filter(status=JobStatus.FAILED))
        others = Counter(queryset.exclude(status=JobStatus.FAILED).values_list("status", flat=True))
        apply_service_to_each(
            self, request, failed, lambda job: scheduled_job_retry(job=job), done_message="{count} job(s) retried."
        )
        if others:
            detail = ", ".join(f"{count} {status}" for status, count in sorted(others.items()))
            self.message_user(
                request,
                f"Skipped {others.total()} job(s): only failed jobs can be retried ({detail}).",
                messages.WARNING,
            )

    @admin.action(description="Cancel selected pending or failed jobs")
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[ScheduledJob]) -> None:
        apply_service_to_each(
            self, request, queryset, lambda job: scheduled_job_cancel(job=job), done_message="{count} job(s) cancelled."
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ScheduledJob]) -> None:
        scheduled_jobs_purge(job_ids=queryset.values_list("pk", flat=True))

    def delete_model(self, request: HttpRequest, obj: ScheduledJob) -> None:
        scheduled_jobs_purge(job_ids=[obj.pk])
