from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from connectors.models import Connection
from connectors.services import deliveries_retry_failed
from core.admin_actions import apply_service_to_each


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """The token is never shown: only its last four characters. A token is checked with its CRM before
    it is saved, so connections are made and fixed through the API (or the client), read here."""

    list_display = ["id", "name", "kind", "tier", "status", "portal_id", "token_last4", "owner", "created_at"]
    list_filter = ["status", "tier", "kind"]
    search_fields = ["name", "owner__username"]
    fields = readonly_fields = (
        "owner",
        "name",
        "kind",
        "base_url",
        "tier",
        "token_last4",
        "status",
        "last_error",
        "portal_id",
        "blocked_until",
        "latency_ms",
        "created_at",
        "updated_at",
    )
    list_select_related = ["owner"]
    actions = ["retry_failed_deliveries"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry the failed deliveries of the selected connections")
    def retry_failed_deliveries(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        apply_service_to_each(
            self,
            request,
            queryset,
            lambda connection: deliveries_retry_failed(connection=connection),
            done_message="Failed deliveries of {count} connection(s) are queued again.",
        )
