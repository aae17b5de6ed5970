from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_actions import apply_service_to_each
from simulations.lifecycle import simulation_cancel, simulation_pause, simulation_resume
from simulations.models import Contact, Simulation

CONTACT_INLINE_FIELDS = ("firstname", "lastname", "email", "jobtitle", "company", "source", "occurred_at")


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    can_delete = False
    fields = CONTACT_INLINE_FIELDS
    readonly_fields = CONTACT_INLINE_FIELDS
    show_change_link = True


@admin.register(Simulation)
class SimulationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "theme", "industry", "total_records", "distribution", "status", "owner", "created_at"]
    list_filter = ["status", "record_frequency", "distribution", "created_at"]
    search_fields = ["name", "theme", "industry", "owner__username"]
    # Status and schedule change only through the services (the actions below); a new simulation
    # needs its jobs scheduled, so it is created through the API or the React client.
    readonly_fields = [
        "owner",
        "theme",
        "industry",
        "record_frequency",
        "status",
        "total_records",
        "planned_records",
        "starts_at",
        "ends_at",
        "distribution",
        "curve_weights",
        "timezone",
        "seed",
        "scenario",
        "contacts_per_company",
        "deal_rate",
        "win_rate",
        "sales_cycle_days",
        "activity_level",
        "email_domains",
        "timeline_version",
        "planned_entries",
        "plan_finished",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["owner"]
    inlines = [ContactInline]
    actions = ["pause_simulations", "resume_simulations", "cancel_simulations"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Pause selected simulations")
    def pause_simulations(self, request: HttpRequest, queryset: QuerySet[Simulation]) -> None:
        apply_service_to_each(
            self, request, queryset, lambda s: simulation_pause(simulation=s), done_message="{count} paused."
        )

    @admin.action(description="Resume selected simulations")
    def resume_simulations(self, request: HttpRequest, queryset: QuerySet[Simulation]) -> None:
        apply_service_to_each(
            self, request, queryset, lambda s: simulation_resume(simulation=s), done_message="{count} resumed."
        )

    @admin.action(description="Cancel selected simulations and their pending jobs")
    def cancel_simulations(self, request: HttpRequest, queryset: QuerySet[Simulation]) -> None:
        apply_service_to_each(
            self, request, queryset, lambda s: simulation_cancel(simulation=s), done_message="{count} cancelled."
        )
