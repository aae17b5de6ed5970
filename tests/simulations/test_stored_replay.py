"""A simulation made before a change replays to the same records after it.

`fixtures/replay_v2.json` holds a planned simulation's settings (as stored, `timeline_version`
included) and every record it made, read back on main at b71132c, before record kinds became one
registry. The test recreates that simulation's row, replays it through the service, plays the
replay to its end with offline personas and compares every company, contact, deal and stage event.

To write the fixture again (only ever on purpose, from a commit you trust):
    SIMCRM_WRITE_REPLAY_FIXTURE=1 pytest tests/simulations/test_stored_replay.py
"""

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from simulations.models import Company, Contact, Deal, RecordEvent, Simulation
from simulations.services import simulation_replay
from tests.factories import UserFactory
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "replay_v2.json"
SETTINGS = {
    "theme": "Lighthouse keepers",
    "industry": "Logistics",
    "total_records": 150,
    "starts_at": "2026-03-02T00:00:00+00:00",
    "ends_at": "2026-05-04T00:00:00+00:00",
    "distribution": "business_hours",
    "timezone": "Europe/Berlin",
    "seed": 7_340_221,
    "scenario": "b2b",
    "contacts_per_company": 3,
    "deal_rate": 0.6,
    "win_rate": 0.5,
    "sales_cycle_days": 12,
    "email_domains": "reserved",
    "timeline_version": 2,
}


def _records(simulation: Simulation) -> dict[str, list[dict[str, Any]]]:
    """Every record of the simulation, in timeline order, with what makes it itself (no ids, no wall clock)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    companies = Company.objects.filter(simulation=simulation).order_by("record_index")
    contacts = Contact.objects.filter(simulation=simulation).select_related("company_record").order_by("record_index")
    deals = Deal.objects.filter(simulation=simulation).select_related("contact", "company")
    deals = deals.order_by("occurred_at", "id")
    email_of = dict(contacts.values_list("pk", "email"))
    deal_email = {deal.pk: deal.contact.email for deal in deals}
    events = RecordEvent.objects.filter(simulation=simulation).order_by("occurred_at", "object_type", "property", "id")
    return {
        "companies": [
            {
                "record_index": c.record_index,
                "name": c.name,
                "domain": c.domain,
                "industry": c.industry,
                "city": c.city,
                "country": c.country,
                "employees": c.employees,
                "source": c.source,
                "occurred_at": iso(c.occurred_at),
            }
            for c in companies
        ],
        "contacts": [
            {
                "record_index": c.record_index,
                "firstname": c.firstname,
                "lastname": c.lastname,
                "email": c.email,
                "jobtitle": c.jobtitle,
                "company": c.company,
                "company_domain": c.company_record.domain if c.company_record else None,
                "industry": c.industry,
                "phone": c.phone,
                "city": c.city,
                "country": c.country,
                "source": c.source,
                "lifecyclestage": c.lifecyclestage,
                "occurred_at": iso(c.occurred_at),
            }
            for c in contacts
        ],
        "deals": [
            {
                "name": d.name,
                "amount": str(d.amount),
                "currency": d.currency,
                "pipeline": d.pipeline,
                "dealstage": d.dealstage,
                "closedate": iso(d.closedate),
                "contact": d.contact.email,
                "company": d.company.domain if d.company else None,
                "occurred_at": iso(d.occurred_at),
            }
            for d in deals
        ],
        "events": [
            {
                "object": e.object_type,
                "of": email_of[e.object_id] if e.object_type == "contact" else deal_email[e.object_id],
                "property": e.property,
                "old_value": e.old_value,
                "new_value": e.new_value,
                "occurred_at": iso(e.occurred_at),
            }
            for e in events
        ],
    }


def _fixture_text(records: dict[str, list[dict[str, Any]]]) -> str:
    """The fixture as JSON with one record a line, so a change to it reads as a diff of records."""
    kinds = [
        f'  "{kind}": [\n' + ",\n".join(f"   {json.dumps(row, sort_keys=True)}" for row in rows) + "\n  ]"
        for kind, rows in records.items()
    ]
    settings = json.dumps(SETTINGS, sort_keys=True)
    return '{\n "settings": ' + settings + ',\n "records": {\n' + ",\n".join(kinds) + "\n }\n}\n"


def _made_before(owner: User) -> Simulation:
    stored: dict[str, Any] = {**SETTINGS}
    for field in ("starts_at", "ends_at"):
        stored[field] = datetime.fromisoformat(str(stored[field]))
    return Simulation.objects.create(owner=owner, status="completed", planned_records=150, plan_finished=True, **stored)


def test_a_simulation_made_before_the_change_replays_to_its_stored_records() -> None:
    owner = UserFactory.create()
    replay = simulation_replay(simulation=_made_before(owner), owner=owner)
    run_until_idle()

    replayed = _records(replay)
    if os.environ.get("SIMCRM_WRITE_REPLAY_FIXTURE") == "1":
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_text(_fixture_text(replayed))
    stored = json.loads(FIXTURE.read_text())
    assert stored["settings"] == SETTINGS
    assert replay.timeline_version == SETTINGS["timeline_version"]
    for kind, records in stored["records"].items():
        assert len(replayed[kind]) == len(records), kind
        for position, (got, expected) in enumerate(zip(replayed[kind], records, strict=True)):
            assert got == expected, f"{kind}[{position}]"
    # The fixture is a real funnel, not an empty one.
    assert {e["new_value"] for e in stored["records"]["events"]} >= {"opportunity", "closedwon", "closedlost"}
