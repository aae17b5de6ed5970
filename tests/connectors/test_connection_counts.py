"""A connection's read says how far delivery got: its simulations' records by delivery status."""

from typing import Any

import pytest
from django.core.signals import request_started
from django.db import connection as db_connection
from django.db import reset_queries
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from connectors.models import Connection, SimulationConnection
from simulations.kinds import delivered_kinds
from simulations.models import Simulation, SyncStatus
from tests.factories import CompanyFactory, ConnectionFactory, ContactFactory, SimulationFactory

pytestmark = pytest.mark.django_db


def _records(connection: Connection | None, owner: Any, statuses: list[str | None]) -> None:
    simulation = SimulationFactory.create(owner=owner)
    if connection is not None:
        SimulationConnection.objects.create(simulation=simulation, connection=connection)
    for status in statuses:
        ContactFactory(simulation=simulation, sync_status=status)


def test_each_connection_counts_the_records_of_its_simulations_by_delivery_status(
    api_client: APIClient, user: Any
) -> None:
    portal, other = (
        ConnectionFactory.create(owner=user, name="Portal"),
        ConnectionFactory.create(owner=user, name="Other portal"),
    )
    _records(portal, user, [SyncStatus.SYNCED, SyncStatus.SYNCED, SyncStatus.FAILED, SyncStatus.PENDING])
    _records(portal, user, [SyncStatus.SYNCED])
    _records(other, user, [SyncStatus.PENDING])
    _records(None, user, [None, None])  # a simulation with no connection counts nowhere
    simulation = Simulation.objects.filter(connection_link__connection=portal).first()
    assert simulation is not None
    CompanyFactory.create(simulation=simulation, sync_status=SyncStatus.FAILED)

    # Each request empties the query log: keep it from emptying it mid-capture.
    request_started.disconnect(reset_queries)
    try:
        with CaptureQueriesContext(db_connection) as queries:
            listed = api_client.get("/api/connections/")
    finally:
        request_started.connect(reset_queries)
    # Read now: the log is a view that the next request empties.
    counting = [q for q in queries.captured_queries if "sync_status" in q["sql"] and "COUNT" in q["sql"].upper()]
    one = api_client.get(f"/api/connections/{portal.pk}/")

    assert listed.status_code == 200 and one.status_code == 200
    by_name = {row["name"]: row["delivery"] for row in listed.json()["results"]}
    assert by_name == {
        "Portal": {"pending": 1, "synced": 3, "failed": 2},
        "Other portal": {"pending": 1, "synced": 0, "failed": 0},
    }
    assert one.json()["delivery"] == by_name["Portal"]
    # A list counts every row at once (one grouped query per record table), not per connection.
    assert len(counting) == len(delivered_kinds())
