"""The answer key (export ?object=outcomes) says what each contact and deal's timeline plans by the window's
end, and agrees with what actually happened once the window has passed."""

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from simulations.models import Contact, Deal, RecordEvent
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"
HEADER = [
    "object",
    "simcrm_id",
    "email",
    "final_lifecyclestage",
    "final_dealstage",
    "converts_at",
    "closes_at",
    "outcome",
]


def _body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "theme": "Harbour pilots",
        "industry": "Logistics",
        "total_records": 300,
        "seed": 515,
        "starts_at": (now - timedelta(days=60)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "deal_rate": 0.5,
        "win_rate": 0.5,
        "sales_cycle_days": 12,
        "activity_level": "none",  # the answer key is about stages
        **overrides,
    }


def _answer_key(api_client: APIClient, simulation_id: int) -> list[dict[str, str]]:
    response = api_client.get(f"{URL}{simulation_id}/export/", {"object": "outcomes"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def _outcome(dealstage: str) -> str:
    return {"closedwon": "won", "closedlost": "lost"}.get(dealstage, "open")


def _instant(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def test_the_answer_key_agrees_with_what_happened_once_the_window_has_passed(api_client: APIClient) -> None:
    created = api_client.post(URL, _body(), format="json")
    assert created.status_code == 201, created.content
    simulation_id = created.json()["id"]
    run_until_idle()

    key = _answer_key(api_client, simulation_id)
    contacts = {c.email: c for c in Contact.objects.filter(simulation_id=simulation_id)}
    deals = {d.contact.email: d for d in Deal.objects.filter(simulation_id=simulation_id).select_related("contact")}
    reached = {
        (event.object_type, event.object_id, event.new_value): event.occurred_at
        for event in RecordEvent.objects.filter(simulation_id=simulation_id)
    }
    contact_rows = [row for row in key if row["object"] == "contact"]
    deal_rows = [row for row in key if row["object"] == "deal"]
    assert len(contact_rows) == len(contacts) == 300 and len(deal_rows) == len(deals) > 0

    for row in contact_rows:
        contact = contacts[row["email"]]
        assert row["simcrm_id"].endswith(f":contact:{contact.pk}")
        assert row["final_lifecyclestage"] == contact.lifecyclestage, row
        assert _instant(row["converts_at"]) == reached.get(("contact", contact.pk, "customer")), row
        deal = deals.get(row["email"])
        assert row["outcome"] == ("none" if deal is None else _outcome(deal.dealstage)), row
    for row in deal_rows:
        deal = deals[row["email"]]
        assert row["simcrm_id"].endswith(f":deal:{deal.pk}")
        assert row["final_dealstage"] == deal.dealstage, row
        closed = reached.get(("deal", deal.pk, "closedwon")) or reached.get(("deal", deal.pk, "closedlost"))
        assert _instant(row["closes_at"]) == closed, row
        assert row["outcome"] == _outcome(deal.dealstage)
    assert {row["outcome"] for row in key} == {"won", "lost", "open", "none"}


def test_a_running_simulation_answers_for_records_not_made_yet_and_moves_to_come(api_client: APIClient) -> None:
    now = timezone.now()
    body = _body(total_records=80, starts_at=(now + timedelta(days=1)).isoformat())
    body["ends_at"] = (now + timedelta(days=120)).isoformat()
    simulation_id = api_client.post(URL, body, format="json").json()["id"]

    key = _answer_key(api_client, simulation_id)
    assert len([row for row in key if row["object"] == "contact"]) == 80
    assert all(row["simcrm_id"] == "" and row["email"] == "" for row in key)  # nothing is made yet
    assert any(row["final_lifecyclestage"] == "customer" and row["converts_at"] for row in key)  # all to come


def test_the_original_schedule_has_no_answer_key(api_client: APIClient) -> None:
    created = api_client.post(URL, {"theme": "T", "industry": "Logistics"}, format="json").json()
    response = api_client.get(f"{URL}{created['id']}/export/", {"object": "outcomes"})
    assert response.status_code == 400 and "object" in response.json()
