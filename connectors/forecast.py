"""How many requests a run would make to its connection's CRM, how long the connection's budget makes them take,
and what share of a day's allowance they use."""

from connectors.budget import in_flight_cap, latency_seconds, requests_per_day, requests_per_window
from connectors.crm.base import crm_adapter
from connectors.models import Connection
from simulations.delivery import DeliveryEstimate, DeliveryVolume

DAY_SECONDS = 86_400.0


def crm_requests_forecast(connection_id: int, volume: DeliveryVolume) -> DeliveryEstimate:
    # A connection deleted meanwhile: forecast for a new one's defaults.
    connection = (
        Connection.objects.filter(pk=connection_id)
        .only("kind", "tier", "daily_share", "crm_usage", "latency_ms")
        .first()
        or Connection()
    )
    adapter = crm_adapter(connection.kind)
    requests = adapter.requests_forecast(volume)
    # The budget's rate, or what the requests in flight answer per second at the CRM's latency, if that is slower
    # (a CRM that caps concurrent requests rather than counting a short window).
    per_second = min(
        requests_per_window(connection) / adapter.budget.window_seconds,
        in_flight_cap(connection) / latency_seconds(connection),
    )
    daily = requests_per_day(connection)
    # Past the daily limit, the rest waits for the next day (a day with room starts now).
    days = (requests - 1) // daily if daily and requests else 0
    seconds = days * DAY_SECONDS + (requests - days * (daily or 0)) / per_second
    if daily is None:
        return DeliveryEstimate(requests, seconds)
    if daily == 0:
        warning = (
            f"This connection may send no requests to {adapter.label} now: the account has used its daily allocation. "
            "Deliveries wait until it has room again."
        )
        return DeliveryEstimate(requests, seconds, None, warning if requests else "")
    warning = ""
    if requests > daily:
        share = (
            f"{connection.daily_share:.0%} of what the account has left of its daily allocation"
            if connection.daily_share is not None
            else "its daily limit"
        )
        warning = (
            f"This run needs about {requests:,} requests to {adapter.label}, more than the {daily:,} a day this "
            f"connection may send ({share}): its delivery will take about {days + 1} days. Raise the connection's "
            "daily share, or plan fewer records or activities."
        )
    return DeliveryEstimate(requests, seconds, requests / daily, warning)
