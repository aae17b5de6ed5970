"""The link from a simulation to its connection lives in connectors; the API still shows it as `connection`."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.models import SimulationConnection

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"


def _planned(connection_id: int) -> dict[str, Any]:
    now = timezone.now()
    return {
        "theme": "Space pirates",
        "industry": "Logistics",
        "total_records": 10,
        "seed": 7,
        "starts_at": (now + timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=2)).isoformat(),
        "connection": connection_id,
    }


def test_a_replay_keeps_the_connection_and_deleting_it_leaves_the_simulations_unconnected(
    api_client: APIClient, connection: dict[str, Any]
) -> None:
    created = api_client.post(URL, _planned(connection["id"]), format="json")
    assert created.status_code == 201, created.content
    replayed = api_client.post(f"{URL}{created.json()['id']}/replay/")
    assert replayed.status_code == 201, replayed.content
    assert replayed.json()["connection"] == connection["id"]
    assert SimulationConnection.objects.filter(connection_id=connection["id"]).count() == 2

    assert api_client.delete(f"/api/connections/{connection['id']}/").status_code == 204

    for simulation_id in (created.json()["id"], replayed.json()["id"]):
        read = api_client.get(f"{URL}{simulation_id}/").json()
        assert (read["connection"], read["delivery"]) == (None, None)
    listed = api_client.get(URL).json()["results"]
    assert [row["connection"] for row in listed] == [None, None]


def test_deleting_a_simulation_deletes_its_link(api_client: APIClient, connection: dict[str, Any]) -> None:
    created = api_client.post(URL, _planned(connection["id"]), format="json").json()
    assert api_client.get(URL).json()["results"][0]["connection"] == connection["id"]

    assert api_client.delete(f"{URL}{created['id']}/").status_code == 204

    assert not SimulationConnection.objects.exists()
    assert api_client.get(f"/api/connections/{connection['id']}/").status_code == 200
