from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from jobs.models import JobStatus, ScheduledJob
from simulations.models import Contact, Simulation


def _count_of(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("simulation_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def simulation_list(*, user: User | AnonymousUser) -> QuerySet[Simulation]:
    """Simulations the user may see (staff: all), newest first, with their job and contact counts and the
    error of their latest failed job."""
    simulations = Simulation.objects.all() if user.is_staff else Simulation.objects.filter(owner_id=user.pk)
    job_counts = {
        f"jobs_{status}": _count_of(ScheduledJob.objects.filter(simulation_id=OuterRef("pk"), status=status))
        for status in JobStatus.values
    }
    latest_failure = ScheduledJob.objects.filter(simulation_id=OuterRef("pk"), status=JobStatus.FAILED).order_by(
        "-finished_at", "-id"
    )
    return simulations.annotate(
        contacts_total=_count_of(Contact.objects.filter(simulation_id=OuterRef("pk"))),
        latest_failure=Subquery(latest_failure.values("last_error")[:1]),
        **job_counts,
    ).order_by("-created_at", "-id")
