import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from operations.metrics import SimcrmCollector


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape: for staff signed in, or with `Authorization: Bearer <SIMCRM_METRICS_TOKEN>`."""
    if not (request.user.is_authenticated and request.user.is_staff) and not _token_matches(request):
        return HttpResponse(
            "Metrics are for staff, or for a scraper sending Authorization: Bearer <SIMCRM_METRICS_TOKEN>.\n",
            status=403,
            content_type="text/plain",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SimcrmCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _token_matches(request: HttpRequest) -> bool:
    token = settings.SIMCRM_METRICS_TOKEN
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(sent.encode(), token.encode())
