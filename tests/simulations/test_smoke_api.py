from typing import Any

import pytest
from rest_framework.test import APIClient

from jobs.models import ScheduledJob

pytestmark = pytest.mark.django_db


def test_create_simulation_schedules_five_jobs(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/simulations/", {"theme": "Space pirates", "industry": "Logistics"}, format="json"
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    assert body["record_frequency"] == "1h"
    assert body["job_counts"]["pending"] == 5
    assert ScheduledJob.objects.filter(simulation_id=body["id"]).count() == 5
