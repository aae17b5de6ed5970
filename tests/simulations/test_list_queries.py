"""The simulation list and detail ask the database a fixed number of questions, whatever the page holds."""

from typing import Any

import pytest
from django.core.signals import request_started
from django.db import connection as db_connection
from django.db import reset_queries
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from connectors.models import SimulationConnection
from jobs.models import JobStatus
from simulations.models import Simulation, SyncStatus
from tests.factories import (
    CompanyFactory,
    ConnectionFactory,
    ContactFactory,
    DealFactory,
    ScheduledJobFactory,
    SimulationFactory,
)

pytestmark = pytest.mark.django_db


def _connected_simulations(owner: Any, count: int) -> list[Simulation]:
    """`count` simulations with a connection, jobs, contacts, a company and a deal in every delivery status."""
    connection = ConnectionFactory.create(owner=owner)
    simulations = []
    for _ in range(count):
        simulation = SimulationFactory.create(owner=owner)
        SimulationConnection.objects.create(simulation=simulation, connection=connection)
        ScheduledJobFactory.create(simulation=simulation, status=JobStatus.COMPLETED)
        ScheduledJobFactory.create(simulation=simulation, status=JobStatus.FAILED, last_error="boom")
        company = CompanyFactory.create(simulation=simulation, sync_status=SyncStatus.SYNCED)
        contact = ContactFactory.create(simulation=simulation, sync_status=SyncStatus.PENDING, company_record=company)
        ContactFactory.create(simulation=simulation, sync_status=SyncStatus.SYNCED, company_record=company)
        DealFactory.create(simulation=simulation, contact=contact, company=company, sync_status=SyncStatus.FAILED)
        simulations.append(simulation)
    return simulations


def _queries_for(api_client: APIClient, path: str) -> tuple[int, Any]:
    # Each request empties the query log: keep it from emptying it mid-capture.
    request_started.disconnect(reset_queries)
    try:
        with CaptureQueriesContext(db_connection) as captured:
            answer = api_client.get(path)
    finally:
        request_started.connect(reset_queries)
    assert answer.status_code == 200
    return len(captured.captured_queries), answer.json()


def test_the_list_makes_as_many_queries_for_50_simulations_as_for_5(api_client: APIClient, user: Any) -> None:
    _connected_simulations(user, 5)
    five, small = _queries_for(api_client, "/api/simulations/")
    _connected_simulations(user, 45)
    fifty, large = _queries_for(api_client, "/api/simulations/")

    assert (len(small["results"]), len(large["results"])) == (5, 50)
    assert fifty == five
    for row in large["results"]:
        assert row["delivery"] == {"pending": 1, "synced": 2, "failed": 1}
        assert row["job_counts"] == {**dict.fromkeys(JobStatus.values, 0), "completed": 1, "failed": 1}
        assert (row["contacts_created"], row["last_error"]) == (2, "boom")


def test_the_detail_makes_as_many_queries_whatever_its_records(api_client: APIClient, user: Any) -> None:
    bare = SimulationFactory.create(owner=user)
    (full,) = _connected_simulations(user, 1)
    for _ in range(20):
        ContactFactory.create(simulation=full, sync_status=SyncStatus.PENDING)

    bare_count, bare_body = _queries_for(api_client, f"/api/simulations/{bare.pk}/")
    full_count, full_body = _queries_for(api_client, f"/api/simulations/{full.pk}/")

    assert bare_body["delivery"] is None
    assert full_body["delivery"] == {"pending": 21, "synced": 2, "failed": 1}
    assert full_count == bare_count
