from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from standins.hubspot import STANDIN_TOKEN, HubSpotStandIn


@pytest.fixture
def hubspot() -> Iterator[HubSpotStandIn]:
    """The HubSpot stand-in at the starter tier's limit, over real HTTP on a free port."""
    with HubSpotStandIn(ten_second_limit=100) as standin:
        yield standin


@pytest.fixture
def connection(api_client: APIClient, hubspot: HubSpotStandIn) -> dict[str, Any]:
    response = api_client.post(
        "/api/connections/",
        {"name": "Stand-in portal", "kind": "hubspot", "access_token": STANDIN_TOKEN, "base_url": hubspot.base_url},
        format="json",
    )
    assert response.status_code == 201, response.content
    return dict(response.json())
