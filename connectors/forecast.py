"""How many requests a run would make to its connection's CRM, and how long the connection's budget makes them take."""

from connectors.budget import requests_per_day, requests_per_window
from connectors.crm.base import crm_adapter
from connectors.models import Connection
from simulations.delivery import DeliveryVolume

DAY_SECONDS = 86_400.0


def crm_requests_forecast(connection_id: int, volume: DeliveryVolume) -> tuple[int, float]:
    # A connection deleted meanwhile: forecast for a new one's defaults.
    connection = Connection.objects.filter(pk=connection_id).only("kind", "tier").first() or Connection()
    adapter = crm_adapter(connection.kind)
    requests = adapter.requests_forecast(volume)
    per_second = requests_per_window(connection) / adapter.budget.window_seconds
    daily = requests_per_day(connection)
    # Past the daily limit, the rest waits for the next day (a day with room starts now).
    days = (requests - 1) // daily if daily and requests else 0
    return requests, days * DAY_SECONDS + (requests - days * (daily or 0)) / per_second
