"""Delivered records carry their past: a backfill arrives in HubSpot (the stand-in, over real HTTP) with
each record's createdate and the dates of the stages it took, not as records all created today."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.crm.hubspot.properties import record_properties
from connectors.models import Connection
from connectors.outbox import records_enqueue
from simulations.kinds import record_kind
from simulations.models import LIFECYCLE_ORDER, Company, Contact, Deal, DealStage, LifecycleStage, RecordEvent
from standins.hubspot import STANDIN_TOKEN, HubSpotStandIn
from tests.connectors.test_delivery import DELIVERY_DEFERRAL, URL, assert_delivered_once, planned
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

LIFECYCLE_DATES = {f"simcrm_{stage}_at" for stage in LifecycleStage.values}


def _millis(moment: datetime) -> datetime:
    """An instant as HubSpot keeps it: to the millisecond, in UTC."""
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _portal_time(value: str) -> datetime:
    assert value.endswith("Z") and len(value) == len("2025-01-02T03:04:05.678Z"), value
    return datetime.fromisoformat(value)


def _stage_dates(portal: dict[str, str]) -> dict[str, datetime]:
    """The simcrm_<stage>_at properties of a portal record, by stage."""
    return {
        name.removeprefix("simcrm_").removesuffix("_at"): _portal_time(value)
        for name, value in portal.items()
        if name.startswith("simcrm_") and name.endswith("_at")
    }


def _history(object_type: str, object_id: int) -> dict[str, datetime]:
    events = RecordEvent.objects.filter(object_type=object_type, object_id=object_id)
    return {event.new_value: _millis(event.occurred_at) for event in events}


def test_a_backfill_arrives_with_each_records_createdate_and_stage_dates(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    created = api_client.post(URL, planned(connection["id"], total_records=150), format="json")
    assert created.status_code == 201, created.content
    simulation_id = created.json()["id"]

    run_until_idle(within=DELIVERY_DEFERRAL)

    assert_delivered_once(hubspot, simulation_id)
    contacts = list(Contact.objects.filter(simulation_id=simulation_id))
    companies = list(Company.objects.filter(simulation_id=simulation_id))
    deals = list(Deal.objects.filter(simulation_id=simulation_id))
    portal_contacts, portal_companies = hubspot.objects("contacts"), hubspot.objects("companies")
    portal_deals = hubspot.objects("deals")

    for contact in contacts:
        portal = portal_contacts[contact.crm_id or ""]
        assert contact.occurred_at is not None
        assert _portal_time(portal["createdate"]) == _millis(contact.occurred_at)
        history = _history("contact", contact.pk)
        assert history and _stage_dates(portal) == history, contact.email
        first = RecordEvent.objects.get(object_type="contact", object_id=contact.pk, old_value__isnull=True)
        assert history[first.new_value] == _millis(contact.occurred_at)  # the first stage: the record's instant
        assert not [name for name in portal if name.startswith(("hs_lifecyclestage_", "hs_v2_date_entered_"))]
    for company in companies:
        assert _portal_time(portal_companies[company.crm_id or ""]["createdate"]) == _millis(company.occurred_at)
    for deal in deals:
        portal = portal_deals[deal.crm_id or ""]
        assert _portal_time(portal["createdate"]) == _millis(deal.occurred_at)
        assert _portal_time(portal["closedate"]) == _millis(deal.closedate)
        history = _history("deal", deal.pk)
        assert history[deal.dealstage] and _stage_dates(portal) == history, deal.name
        assert history["appointmentscheduled"] == _millis(deal.occurred_at)

    # A past spread over the window, whole funnels included, not a portal created today.
    created_dates = sorted(_portal_time(props["createdate"]) for props in portal_contacts.values())
    assert created_dates[0] < timezone.now() - timedelta(days=45) and created_dates[-1] < timezone.now()
    assert any(len(_stage_dates(props)) >= 4 for props in portal_contacts.values())
    assert {"closedwon", "closedlost"} <= {props["dealstage"] for props in portal_deals.values()}

    # HubSpot's records answer with the written createdate too.
    contact = contacts[0]
    with httpx.Client(base_url=hubspot.base_url, headers={"Authorization": f"Bearer {STANDIN_TOKEN}"}) as api:
        answer = api.get(f"/crm/v3/objects/contacts/{contact.crm_id}").json()
    assert contact.occurred_at is not None
    assert _portal_time(answer["createdAt"]) == _portal_time(answer["properties"]["createdate"])
    assert _portal_time(answer["createdAt"]) == _millis(contact.occurred_at)


def test_simcrms_properties_are_made_once_per_portal_and_recorded_on_the_connection(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    for seed in (7, 8):
        body = planned(connection["id"], total_records=40, seed=seed)
        assert api_client.post(URL, body, format="json").status_code == 201
        run_until_idle(within=DELIVERY_DEFERRAL)

    deal_stages = {f"simcrm_{stage}_at" for stage in DealStage.values}
    made = {object_type: hubspot.properties_created(object_type) for object_type in ("contacts", "companies", "deals")}
    assert set(made["contacts"]) == LIFECYCLE_DATES
    assert set(made["companies"]) == {"simcrm_id"}
    assert set(made["deals"]) == deal_stages | {"simcrm_id"}
    for props in made.values():
        for name, prop in props.items():
            assert (prop["type"], prop["hasUniqueValue"]) == (
                ("string", True) if name == "simcrm_id" else ("datetime", False)
            )
    recorded = Connection.objects.get(pk=connection["id"]).custom_properties
    assert {object_type: set(names) for object_type, names in recorded.items()} == {
        object_type: set(props) for object_type, props in made.items()
    }
    # One read and one create per object type, for the first simulation only.
    property_requests = [record.path for record in hubspot.requests if record.path.startswith("/crm/v3/properties/")]
    assert sorted(property_requests) == sorted(
        f"/crm/v3/properties/{object_type}/batch/{verb}"
        for object_type in ("contacts", "companies", "deals")
        for verb in ("read", "create")
    )


def test_properties_already_in_the_portal_are_only_read_and_recorded(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    # Another SimCRM installation (or a deleted connection) made them in this portal before.
    with httpx.Client(base_url=hubspot.base_url, headers={"Authorization": f"Bearer {STANDIN_TOKEN}"}) as api:
        answer = api.post(
            "/crm/v3/properties/contacts/batch/create",
            json={
                "inputs": [
                    {
                        "name": name,
                        "label": name,
                        "type": "datetime",
                        "fieldType": "date",
                        "groupName": "contactinformation",
                    }
                    for name in sorted(LIFECYCLE_DATES)
                ]
            },
        )
        assert answer.status_code == 201
    body = planned(connection["id"], total_records=20, scenario="b2c", deal_rate=0)
    assert api_client.post(URL, body, format="json").status_code == 201
    run_until_idle(within=DELIVERY_DEFERRAL)

    paths = [record.path for record in hubspot.requests if record.path.startswith("/crm/v3/properties/contacts")]
    assert paths == ["/crm/v3/properties/contacts/batch/create", "/crm/v3/properties/contacts/batch/read"]
    recorded = Connection.objects.get(pk=connection["id"]).custom_properties
    assert set(recorded["contacts"]) == LIFECYCLE_DATES
    assert all("createdate" in props and _stage_dates(props) for props in hubspot.objects("contacts").values())


def test_a_batchs_stage_history_is_read_in_one_query(api_client: APIClient) -> None:
    body = planned(0, total_records=120)
    del body["connection"]
    assert api_client.post(URL, body, format="json").status_code == 201
    run_until_idle(within=DELIVERY_DEFERRAL)
    contacts = list(Contact.objects.order_by("id")[:100])
    deals = list(Deal.objects.order_by("id")[:100])
    companies = list(Company.objects.order_by("id")[:100])
    assert len(contacts) == 100 and deals and companies

    for object_type, records, queries in (("contacts", contacts, 1), ("deals", deals, 1), ("companies", companies, 0)):
        with CaptureQueriesContext(db_connection) as captured:
            properties = record_properties(record_kind(object_type), {str(record.pk): record for record in records})
        assert len(captured) == queries, object_type
        assert len(properties) == len(records)
    # A record whose events were never written (the original schedule's contacts have them; a guard):
    # its current stage's date is its own instant.
    contact = contacts[0]
    RecordEvent.objects.filter(object_type="contact", object_id=contact.pk).delete()
    (props,) = record_properties(record_kind("contacts"), {contact.email: contact}).values()
    assert props[f"simcrm_{contact.lifecyclestage}_at"] == props["createdate"]
    assert not set(props) & (LIFECYCLE_DATES - {f"simcrm_{contact.lifecyclestage}_at"})

    # A stage entered after the batch was read (its event committed since) waits for the record's next delivery.
    stale = next(contact for contact in contacts[1:] if contact.lifecyclestage != LifecycleStage.OTHER)
    later = LifecycleStage.values[LIFECYCLE_ORDER[stale.lifecyclestage] + 1]
    RecordEvent.objects.create(
        simulation_id=stale.simulation_id,
        object_type="contact",
        object_id=stale.pk,
        property="lifecyclestage",
        old_value=stale.lifecyclestage,
        new_value=later,
        occurred_at=timezone.now(),
    )
    (props,) = record_properties(record_kind("contacts"), {stale.email: stale}).values()
    assert f"simcrm_{stale.lifecyclestage}_at" in props and f"simcrm_{later}_at" not in props


def test_a_contact_the_portal_holds_at_a_later_stage_keeps_it_and_every_contact_keeps_its_dates(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    body = planned(connection["id"], total_records=30, scenario="b2c", deal_rate=0)
    simulation_id = api_client.post(URL, body, format="json").json()["id"]
    run_until_idle(within=DELIVERY_DEFERRAL)
    ahead, other = Contact.objects.filter(simulation_id=simulation_id).order_by("id")[:2]
    # Someone moves a contact on by hand in HubSpot.
    with httpx.Client(base_url=hubspot.base_url, headers={"Authorization": f"Bearer {STANDIN_TOKEN}"}) as api:
        moved = {"idProperty": "email", "id": ahead.email, "properties": {"lifecyclestage": "evangelist"}}
        assert api.post("/crm/v3/objects/contacts/batch/upsert", json={"inputs": [moved]}).status_code == 200
    Contact.objects.filter(pk__in=[ahead.pk, other.pk]).update(firstname="Renamed")
    records_enqueue(Contact, [ahead.pk, other.pk])

    run_until_idle(within=DELIVERY_DEFERRAL)

    refused = [r for r in hubspot.requests if r.path == "/crm/v3/objects/contacts/batch/upsert" and r.status == 400]
    assert len(refused) == 1  # the first try; the second went without stages
    portal = hubspot.objects("contacts")
    for contact in (ahead, other):
        contact.refresh_from_db()
        props = portal[contact.crm_id or ""]
        assert contact.sync_status == "synced" and props["firstname"] == "Renamed"
        assert contact.occurred_at is not None
        assert _portal_time(props["createdate"]) == _millis(contact.occurred_at)
        assert _stage_dates(props) == _history("contact", contact.pk)
    assert portal[ahead.crm_id or ""]["lifecyclestage"] == "evangelist"
    assert portal[other.crm_id or ""]["lifecyclestage"] == other.lifecyclestage
