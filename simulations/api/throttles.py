from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from simulations.models import Simulation


class SimulationCreateThrottle(SimpleRateThrottle):
    """Per-user limit on creating simulations (SIMCRM_SIMULATION_CREATE_RATE, DRF rate syntax).

    It counts the user's own simulations in the window instead of keeping a history in the cache:
    the default cache lives in one process, and every web process would then allow the full rate.
    """

    scope = "simulation_create"
    retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        limit, seconds = self.parse_rate(self.rate)
        if limit is None or seconds is None:
            return True
        since = timezone.now() - timedelta(seconds=seconds)
        recent = Simulation.objects.filter(owner_id=request.user.pk, created_at__gte=since).order_by("created_at")
        times = list(recent.values_list("created_at", flat=True)[:limit])
        if len(times) < limit:
            return True
        self.retry_after = (times[0] - since).total_seconds()
        return False

    def wait(self) -> float | None:
        return self.retry_after

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return None  # unused: allow_request reads the database
