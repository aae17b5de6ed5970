from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_actions import apply_service_to_each
from simulations.lifecycle import simulation_cancel, simulation_pause, simulation_resume
from simulations.models import Company, Contact, Deal, Simulation

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


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "firstname",
        "lastname",
        "email",
        "company",
        "lifecyclestage",
        "source",
        "simulation",
        "created_at",
    ]
    list_filter = ["source", "lifecyclestage", "simulation"]
    search_fields = ["firstname", "lastname", "email", "company", "jobtitle"]
    # Stages move only through the funnel's jobs, which write an event for each move.
    readonly_fields = [
        "simulation",
        "job",
        "source",
        "lifecyclestage",
        "company_record",
        "record_index",
        "occurred_at",
        "created_at",
    ]
    list_select_related = ["simulation"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "domain", "industry", "country", "employees", "simulation", "occurred_at"]
    list_filter = ["source", "simulation"]
    search_fields = ["name", "domain"]
    readonly_fields = ["simulation", "source", "record_index", "occurred_at", "created_at"]
    list_select_related = ["simulation"]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "amount", "currency", "dealstage", "closedate", "simulation", "occurred_at"]
    list_filter = ["dealstage", "simulation"]
    search_fields = ["name", "contact__email", "company__name"]
    # Stages move only through the funnel's jobs, which write an event for each move.
    readonly_fields = ["simulation", "dealstage", "contact", "company", "occurred_at", "created_at"]
    list_select_related = ["simulation"]
