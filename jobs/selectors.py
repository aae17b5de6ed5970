from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from jobs.models import ScheduledJob


def job_list(*, user: User | AnonymousUser) -> QuerySet[ScheduledJob]:
    """Jobs the user may see: those of their own simulations (staff: all)."""
    jobs = ScheduledJob.objects.select_related("simulation")
    return jobs if user.is_staff else jobs.filter(simulation__owner_id=user.pk)
