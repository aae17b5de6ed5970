"""Activities reach HubSpot in the past: created in batches with their associations inline, each once, even when
an answer is lost (over real HTTP against the stand-in, which answers after HubSpot-like latency)."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from activities.models import Call, Email, Meeting, Note, Task, TaskStatus
from connectors.crm.hubspot.adapter import HUBSPOT_ADAPTER
from simulations.models import Contact
from standins.hubspot import STANDIN_TOKEN, HubSpotStandIn
from tests.connectors.test_delivery import DELIVERY_DEFERRAL, planned
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

MODELS: dict[str, Any] = {"emails": Email, "calls": Call, "meetings": Meeting, "notes": Note, "tasks": Task}


@pytest.fixture
def slow_hubspot() -> Iterator[HubSpotStandIn]:
    """The stand-in answering after about 150 ms, its search a second behind its writes."""
    with HubSpotStandIn(ten_second_limit=100, latency_ms=150, search_lag_ms=1000) as standin:
        yield standin


def _connect(api_client: APIClient, hubspot: HubSpotStandIn) -> int:
    response = api_client.post(
        "/api/connections/",
        {"name": "Stand-in portal", "kind": "hubspot", "access_token": STANDIN_TOKEN, "base_url": hubspot.base_url},
        format="json",
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _hubspot_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_activities_delivered_once(hubspot: HubSpotStandIn, simulation_id: int) -> int:
    """Every activity is in the portal once, under its crm_id, dated in the past, with its associations."""
    links = hubspot.associations()
    total = 0
    for name, model in MODELS.items():
        records = list(model.objects.filter(simulation_id=simulation_id).select_related("contact", "company", "deal"))
        assert records, name
        assert all(r.sync_status == "synced" and r.crm_id and r.crm_associated for r in records), name
        portal = hubspot.objects(name)
        assert len(portal) == len(records), f"{name}: {len(portal)} in the portal for {len(records)} records"
        for record in records:
            properties = portal[record.crm_id]
            instant = record.due_at if name == "tasks" else record.occurred_at
            assert _hubspot_instant(properties["hs_timestamp"]) == instant.replace(
                microsecond=instant.microsecond // 1000 * 1000
            )
            ends = {("contacts", record.contact.crm_id)}
            ends |= {("companies", record.company.crm_id)} if record.company else set()
            ends |= {("deals", record.deal.crm_id)} if record.deal else set()
            assert {
                (to, to_id) for kind, from_id, to, to_id in links if (kind, from_id) == (name, record.crm_id)
            } == ends
        total += len(records)
    return total


def test_every_activity_arrives_once_in_the_past_with_its_contact_company_and_deal(
    api_client: APIClient, slow_hubspot: HubSpotStandIn
) -> None:
    connection_id = _connect(api_client, slow_hubspot)
    body = planned(connection_id, total_records=40, activity_level="normal")
    created = api_client.post("/api/simulations/", body, format="json")
    assert created.status_code == 201, created.content
    simulation_id = created.json()["id"]
    run_until_idle(within=DELIVERY_DEFERRAL)

    assert Contact.objects.filter(simulation_id=simulation_id, sync_status="synced").count() == 40
    delivered = assert_activities_delivered_once(slow_hubspot, simulation_id)
    assert delivered > 100
    # Activities went in batches with their associations: no association request of their own.
    paths = [request.path for request in slow_hubspot.requests]
    assert not [path for path in paths if "/associations/" in path and path.split("/")[4] in MODELS]
    assert {f"/crm/v3/objects/{name}/batch/create" for name in MODELS} <= set(paths)
    # A completed task is COMPLETED there, and its simulated completion is in SimCRM's own property.
    done = Task.objects.filter(simulation_id=simulation_id, hs_task_status=TaskStatus.COMPLETED).first()
    assert done is not None and done.completed_at is not None
    portal_task = slow_hubspot.objects("tasks")[done.crm_id or ""]
    assert portal_task["hs_task_status"] == "COMPLETED"
    assert _hubspot_instant(portal_task["simcrm_completed_at"]) <= _hubspot_instant(
        portal_task["hs_task_completion_date"]
    )
    # An email's sender and recipient came from its headers (HubSpot's own properties are read-only).
    email = Email.objects.filter(simulation_id=simulation_id).first()
    assert email is not None
    portal_email = slow_hubspot.objects("emails")[email.crm_id or ""]
    assert (portal_email["hs_email_from_email"], portal_email["hs_email_to_email"]) == (
        email.hs_email_from_email,
        email.hs_email_to_email,
    )


def test_a_lost_create_is_found_in_the_portal_instead_of_sent_twice(
    api_client: APIClient, slow_hubspot: HubSpotStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HUBSPOT_ADAPTER, "find_after_seconds", 1.5)  # the stand-in's search lags 1 s
    connection_id = _connect(api_client, slow_hubspot)
    # The first three activity creates reach HubSpot, and their answers never come back.
    slow_hubspot.lose_next_answers(3, path=r"^/crm/v3/objects/\w+/batch/create$")
    body = planned(connection_id, total_records=40, activity_level="normal", seed=11)
    simulation_id = api_client.post("/api/simulations/", body, format="json").json()["id"]
    run_until_idle(within=DELIVERY_DEFERRAL)

    assert_activities_delivered_once(slow_hubspot, simulation_id)
    lost = [r for r in slow_hubspot.requests if not r.answered]
    assert len(lost) == 3
    assert any(request.path.endswith("/search") for request in slow_hubspot.requests), "nothing was looked for"
