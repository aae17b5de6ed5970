from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from jobs.models import JobStatus, ScheduledJob
from simulations.delivery import connection_of_simulation
from simulations.kinds import delivered_kinds
from simulations.models import Contact, DealStage, LifecycleStage, Simulation, SyncStatus


def _count_of(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("simulation_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def simulation_list(*, user: User | AnonymousUser) -> QuerySet[Simulation]:
    """Simulations the user may see (staff: all), newest first, with their job and contact counts, their
    records by delivery status and the error of their latest failed job: one query whatever the page size."""
    simulations = Simulation.objects.all() if user.is_staff else Simulation.objects.filter(owner_id=user.pk)
    job_counts = {
        f"jobs_{status}": _count_of(ScheduledJob.objects.filter(simulation_id=OuterRef("pk"), status=status))
        for status in JobStatus.values
    }
    latest_failure = ScheduledJob.objects.filter(simulation_id=OuterRef("pk"), status=JobStatus.FAILED).order_by(
        "-finished_at", "-id"
    )
    # Only a simulation with a connection has its records counted: the others have nothing to deliver.
    delivery_counts = {
        f"delivered_{status}": Case(
            When(
                connection_ref__isnull=False,
                then=sum(
                    (
                        _count_of(kind.model._default_manager.filter(simulation_id=OuterRef("pk"), sync_status=status))
                        for kind in delivered_kinds()
                    ),
                    start=Value(0),
                ),
            ),
            default=None,
            output_field=IntegerField(),
        )
        for status in SyncStatus.values
    }
    return (
        simulations.annotate(connection_ref=connection_of_simulation())
        .annotate(
            contacts_total=_count_of(Contact.objects.filter(simulation_id=OuterRef("pk"))),
            **delivery_counts,
            latest_failure=Subquery(latest_failure.values("last_error")[:1]),
            **job_counts,
        )
        .order_by("-created_at", "-id")
    )


def simulation_funnel(*, simulation: Simulation) -> dict[str, dict[str, Any]]:
    """Contacts per lifecycle stage, deals per deal stage and the amount at each: every stage named, zeros included."""
    lifecycle = dict.fromkeys(LifecycleStage.values, 0)
    for row in simulation.contacts.order_by().values("lifecyclestage").annotate(n=Count("id")):
        lifecycle[row["lifecyclestage"]] = row["n"]
    deals = dict.fromkeys(DealStage.values, 0)
    amounts = dict.fromkeys(DealStage.values, Decimal("0.00"))
    for row in simulation.deals.order_by().values("dealstage").annotate(n=Count("id"), amount=Sum("amount")):
        deals[row["dealstage"]] = row["n"]
        amounts[row["dealstage"]] = row["amount"] or Decimal("0.00")
    return {"lifecyclestage": lifecycle, "dealstage": deals, "pipeline_amount": amounts}
