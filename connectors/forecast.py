"""How many HubSpot requests a run would make, and how long the connection's limit makes them take."""

import math

from connectors.hubspot import BATCH_LIMIT
from connectors.models import Connection
from simulations.delivery import DeliveryVolume

# The unique property: checked, and created when missing, for companies and for deals.
PROPERTY_REQUESTS = 4


def hubspot_requests_forecast(connection_id: int, volume: DeliveryVolume) -> tuple[int, float]:
    """Batches of 100 at best: upserts, stage updates, and the three kinds of association."""

    def batches(count: int) -> int:
        return math.ceil(count / BATCH_LIMIT)

    requests = (
        batches(volume.contacts)
        + batches(volume.companies)
        + batches(volume.deals)
        + batches(volume.contact_updates)
        + batches(volume.deal_updates)
        + (batches(volume.contacts) if volume.companies else 0)  # contact to company
        + batches(volume.deals) * (2 if volume.companies else 1)  # deal to contact (and company)
        + (PROPERTY_REQUESTS if volume.companies or volume.deals else 0)
    )
    connection = Connection.objects.filter(pk=connection_id).only("tier").first()
    per_second = connection.requests_per_window / 10 if connection is not None else 9.0
    return requests, requests / per_second
