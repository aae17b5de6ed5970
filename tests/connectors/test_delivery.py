"""Delivery to HubSpot, over real HTTP against the stand-in: connections, batched upserts, associations,
the shared budget, 429s, daily limits, a revoked token, lost answers and killed workers."""

import logging
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.models import Connection, ConnectionRequest
from jobs.models import ScheduledJob
from jobs.runner import scheduled_jobs_run_due
from simulations.models import Company, Contact, Deal, Simulation
from standins.hubspot import STANDIN_TOKEN, HubSpotStandIn
from tests.contract import CONNECTION_FIELDS
from tests.factories import PlanFactory, UserFactory
from tests.idle import run_until_idle
from tests.processes import process_env, running, wait_for

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"


def planned(connection_id: int, **overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    body: dict[str, Any] = {
        "theme": "Space pirates",
        "industry": "Logistics",
        "total_records": 100,
        "seed": 7,
        "starts_at": (now - timedelta(days=60)).isoformat(),
        "ends_at": (now - timedelta(minutes=5)).isoformat(),
        "deal_rate": 0.6,
        "win_rate": 0.5,
        "sales_cycle_days": 10,
        # Activities' delivery has tests of its own (tests/activities/test_delivery.py).
        "activity_level": "none",
        "connection": connection_id,
    }
    body.update(overrides)
    return body


# A delivery deferred by the budget (its 10 s window) or a Retry-After comes due again within this.
DELIVERY_DEFERRAL = timedelta(seconds=12)


def assert_delivered_once(hubspot: HubSpotStandIn, *simulation_ids: int) -> None:
    """Every record is in the portal exactly once, under its crm_id, with its associations."""
    contacts = list(Contact.objects.filter(simulation_id__in=simulation_ids).select_related("company_record"))
    companies = list(Company.objects.filter(simulation_id__in=simulation_ids))
    deals = list(Deal.objects.filter(simulation_id__in=simulation_ids).select_related("contact", "company"))
    for records in (contacts, companies, deals):
        assert records and all(record.sync_status == "synced" and record.crm_id for record in records)
    portal_contacts = hubspot.objects("contacts")
    assert len(portal_contacts) == len(contacts)
    assert {props["email"] for props in portal_contacts.values()} == {contact.email.lower() for contact in contacts}
    for contact in contacts:
        assert portal_contacts[contact.crm_id or ""]["lifecyclestage"] == contact.lifecyclestage
    assert len(hubspot.objects("companies")) == len(companies)
    portal_deals = hubspot.objects("deals")
    assert len(portal_deals) == len(deals)
    for deal in deals:
        assert portal_deals[deal.crm_id or ""]["dealstage"] == deal.dealstage
    links = hubspot.associations()
    expected = {("contacts", c.crm_id, "companies", c.company_record.crm_id) for c in contacts if c.company_record}
    expected |= {("deals", d.crm_id, "contacts", d.contact.crm_id) for d in deals}
    expected |= {("deals", d.crm_id, "companies", d.company.crm_id) for d in deals if d.company}
    assert expected <= links
    assert len(links) == len(expected)


# --- connections ---------------------------------------------------------------------------------


def test_a_connection_is_made_once_hubspot_accepts_its_token(
    connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    assert list(connection) == CONNECTION_FIELDS
    assert (connection["status"], connection["portal_id"], connection["token_last4"]) == (
        "ok",
        hubspot.portal_id,
        "cdef",
    )
    assert connection["tier"] == "starter" and connection["base_url"] == hubspot.base_url
    stored = Connection.objects.get(pk=connection["id"])
    assert STANDIN_TOKEN not in stored.token_encrypted
    # The check was one request, counted in the connection's budget.
    assert [record.path for record in hubspot.requests] == ["/account-info/v3/details"]
    assert ConnectionRequest.objects.filter(connection=stored).count() == 1


def test_a_refused_token_or_an_unreachable_portal_is_a_400_naming_the_field(
    api_client: APIClient, hubspot: HubSpotStandIn
) -> None:
    body = {"name": "Bad", "kind": "hubspot", "access_token": "pat-wrong-1234", "base_url": hubspot.base_url}
    refused = api_client.post("/api/connections/", body, format="json")
    unreachable = api_client.post("/api/connections/", {**body, "base_url": "http://127.0.0.1:9"}, format="json")
    unknown_kind = api_client.post("/api/connections/", {**body, "kind": "pipedrive"}, format="json")

    assert refused.status_code == 400 and "access_token" in refused.json()
    assert "pat-wrong-1234" not in refused.content.decode()
    assert unreachable.status_code == 400 and "base_url" in unreachable.json()
    assert unknown_kind.status_code == 400 and "kind" in unknown_kind.json()
    assert not Connection.objects.exists()


def test_a_simulation_may_name_only_its_owners_connection(connection: dict[str, Any], other_client: APIClient) -> None:
    response = other_client.post(URL, planned(connection["id"]), format="json")
    assert response.status_code == 400 and "connection" in response.json()
    assert other_client.get(f"/api/connections/{connection['id']}/").status_code == 404


# --- delivery ------------------------------------------------------------------------------------


def test_contacts_companies_and_deals_are_delivered_once_with_their_associations(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    created = api_client.post(URL, planned(connection["id"], total_records=1000), format="json")
    assert created.status_code == 201, created.content

    run_until_idle(within=DELIVERY_DEFERRAL)

    simulation_id = created.json()["id"]
    assert_delivered_once(hubspot, simulation_id)
    counted = sum(Contact.objects.filter(simulation_id=simulation_id).count() for _ in [0])
    records = (
        counted
        + Company.objects.filter(simulation_id=simulation_id).count()
        + Deal.objects.filter(simulation_id=simulation_id).count()
    )
    requests = len([record for record in hubspot.requests if record.counted])
    # Batches of 100: about one request per 100 records and associations, plus the stage updates.
    assert requests < records / 10, (requests, records)
    assert hubspot.max_in_window(10.0) <= 90
    read = api_client.get(f"{URL}{simulation_id}/").json()
    assert read["connection"] == connection["id"]
    assert read["delivery"] == {"pending": 0, "synced": records, "failed": 0}
    contact = api_client.get(f"{URL}{simulation_id}/contacts/").json()["results"][0]
    assert contact["sync_status"] == "synced" and contact["crm_id"] and contact["sync_error"] == ""


def test_a_simulation_without_a_connection_has_no_sync_status(api_client: APIClient) -> None:
    created = api_client.post(URL, {"theme": "Local", "industry": "Retail"}, format="json").json()
    scheduled_jobs_run_due()
    contact = api_client.get(f"{URL}{created['id']}/contacts/").json()["results"][0]
    assert (contact["crm_id"], contact["sync_status"], created["delivery"]) == (None, None, None)
    assert not ScheduledJob.objects.filter(job_type="SYNC_CRM").exists()


def test_a_cancelled_simulation_still_delivers_what_it_made(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    created = api_client.post(
        URL, {"theme": "Short", "industry": "Music", "connection": connection["id"]}, format="json"
    ).json()
    ScheduledJob.objects.filter(simulation_id=created["id"], job_type="CREATE_CONTACT").exclude(
        payload__index=0
    ).update(scheduled_for=timezone.now() + timedelta(hours=1))
    scheduled_jobs_run_due()  # the first contact; its delivery waits a second to gather more
    assert api_client.post(f"{URL}{created['id']}/cancel/").json()["status"] == "cancelled"

    run_until_idle(within=DELIVERY_DEFERRAL)

    contact = Contact.objects.get(simulation_id=created["id"])
    assert contact.sync_status == "synced"
    assert {props["email"] for props in hubspot.objects("contacts").values()} == {contact.email.lower()}


@override_settings(SIMCRM_HUBSPOT_PROBE_SECONDS=1)
def test_a_storm_of_429s_and_a_daily_limit_lose_nothing(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    hubspot.fail_next(6, status=429)
    created = api_client.post(URL, planned(connection["id"], total_records=300), format="json").json()
    run_until_idle(within=DELIVERY_DEFERRAL)
    assert_delivered_once(hubspot, created["id"])

    # The daily limit: deliveries are held, the connection says so, and a probe releases them.
    hubspot.daily_limit = hubspot.daily_used
    second = api_client.post(URL, planned(connection["id"], total_records=120, seed=8), format="json").json()

    def held_by_the_daily_limit() -> bool:
        scheduled_jobs_run_due()
        return Connection.objects.filter(pk=connection["id"], status="rate_limited").exists()

    wait_for(held_by_the_daily_limit, timeout=30, what="the connection to be held by the daily limit")
    held = api_client.get(f"/api/connections/{connection['id']}/").json()
    assert held["status"] == "rate_limited" and "daily" in held["last_error"]
    assert Contact.objects.filter(simulation_id=second["id"], sync_status="pending").count() == 120
    hubspot.reset_daily()
    hubspot.daily_limit = 250_000

    run_until_idle(within=DELIVERY_DEFERRAL)

    assert api_client.get(f"/api/connections/{connection['id']}/").json()["status"] == "ok"
    assert Contact.objects.filter(simulation_id=second["id"], sync_status="synced").count() == 120


def test_a_revoked_token_holds_deliveries_until_a_patch_gives_a_good_one(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    hubspot.tokens = {"pat-new-token-9876"}
    created = api_client.post(URL, planned(connection["id"], total_records=50, deal_rate=0), format="json").json()
    with caplog.at_level(logging.DEBUG):
        run_until_idle(within=DELIVERY_DEFERRAL)

    held = api_client.get(f"/api/connections/{connection['id']}/").json()
    assert held["status"] == "invalid" and "access token" in held["last_error"]
    assert Contact.objects.filter(simulation_id=created["id"], sync_status="pending").count() == 50
    assert not ScheduledJob.objects.filter(job_type="SYNC_CRM", status="pending").exists()  # held, not spinning

    bad = api_client.patch(f"/api/connections/{connection['id']}/", {"access_token": "pat-still-wrong"}, format="json")
    assert bad.status_code == 400 and "access_token" in bad.json()
    fixed = api_client.patch(
        f"/api/connections/{connection['id']}/", {"access_token": "pat-new-token-9876"}, format="json"
    )
    assert fixed.status_code == 200 and fixed.json()["status"] == "ok" and fixed.json()["token_last4"] == "9876"
    run_until_idle(within=DELIVERY_DEFERRAL)

    assert Contact.objects.filter(simulation_id=created["id"], sync_status="synced").count() == 50
    for secret in (STANDIN_TOKEN, "pat-new-token-9876", "pat-still-wrong"):
        assert secret not in caplog.text
        assert secret not in fixed.content.decode() and secret not in bad.content.decode()
        for payload, result, error in ScheduledJob.objects.values_list("payload", "result", "last_error"):
            assert secret not in f"{payload}{result}{error}"


def test_the_token_is_not_in_the_admin(connection: dict[str, Any], admin_client: Client) -> None:
    page = admin_client.get(f"/admin/connectors/connection/{connection['id']}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdef" in html and STANDIN_TOKEN not in html
    assert Connection.objects.get(pk=connection["id"]).token_encrypted not in html


@override_settings(SIMCRM_MAX_ATTEMPTS=2)
def test_a_lost_answer_is_retried_without_a_duplicate_and_a_failed_delivery_can_be_retried(
    api_client: APIClient, connection: dict[str, Any], hubspot: HubSpotStandIn
) -> None:
    hubspot.lose_next_answers(2)  # the first upserts reach HubSpot, their answers never come back
    created = api_client.post(URL, planned(connection["id"], total_records=200), format="json").json()
    run_until_idle(within=DELIVERY_DEFERRAL)
    assert_delivered_once(hubspot, created["id"])

    # HubSpot down through every attempt: the records say so, and a retry sends them.
    hubspot.fail_next(2, status=503)  # both attempts of the one delivery job (contacts only, no deals)
    body = planned(connection["id"], total_records=30, scenario="b2c", deal_rate=0, seed=9)
    second = api_client.post(URL, body, format="json").json()
    run_until_idle(within=DELIVERY_DEFERRAL)
    failed = list(Contact.objects.filter(simulation_id=second["id"], sync_status="failed"))
    assert len(failed) == 30 and "503" in failed[0].sync_error
    assert api_client.get(f"{URL}{second['id']}/").json()["delivery"]["failed"] >= 30

    retried = api_client.post(f"/api/connections/{connection['id']}/retry-failed/")
    assert retried.status_code == 200 and retried.json()["retried"] >= 30
    run_until_idle(within=DELIVERY_DEFERRAL)
    assert Contact.objects.filter(simulation_id=second["id"], sync_status="synced").count() == 30


def test_the_preview_counts_the_requests_and_the_time_the_tier_allows(
    api_client: APIClient, connection: dict[str, Any]
) -> None:
    body = planned(connection["id"], total_records=10_000)
    forecast = api_client.post(f"{URL}preview/", body, format="json").json()["forecast"]
    without = api_client.post(f"{URL}preview/", {**body, "connection": None}, format="json")

    # 10,000 contacts, 3,334 companies, 6,000 deals in batches of 100, with updates and associations.
    assert 300 < forecast["hubspot_requests"] < 1_500
    assert forecast["hubspot_seconds"] == pytest.approx(forecast["hubspot_requests"] / 9, rel=0.01)
    assert without.status_code == 400  # null is not an id


# --- workers as in production --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_budget_and_a_killed_worker_leaves_no_duplicate(
    hubspot: HubSpotStandIn, tmp_path: Path
) -> None:
    from connectors.services import connection_create
    from simulations.funnel import CrmSettings
    from simulations.services import simulation_create

    owner = UserFactory.create()
    connection = connection_create(owner=owner, name="Portal", access_token=STANDIN_TOKEN, base_url=hubspot.base_url)
    simulations = [
        simulation_create(
            owner=owner,
            theme=theme,
            industry="Logistics",
            plan=PlanFactory.create(total_records=1500, seed=index),
            # Activities' delivery has tests of their own (tests/activities/test_delivery.py).
            crm=CrmSettings(deal_rate=0.5, sales_cycle_days=5, activity_level="none"),
            connection_id=connection.pk,
        )
        for index, theme in enumerate(["Space pirates", "Deep sea"])
    ]
    env = process_env(SIMCRM_WORKERS="2", SIMCRM_JOB_TIMEOUT_SECONDS="5")
    hubspot.latency = 0.8  # HubSpot's time per batch: the worker is killed with requests in flight
    with running(["qcluster"], env=env, log=tmp_path / "qcluster-1.log") as cluster:
        wait_for(
            lambda: ScheduledJob.objects.filter(job_type="SYNC_CRM", status="processing").exists(),
            timeout=120,
            what="a delivery to start",
        )
        wait_for(lambda: len(hubspot.objects("contacts")) > 0, timeout=30, what="contacts in the portal")
        wait_for(
            lambda: ConnectionRequest.objects.filter(done_at__isnull=True).count() >= 3,
            timeout=60,
            interval=0.02,
            what="several requests in flight at once",
        )
        os.killpg(cluster.pid, signal.SIGKILL)
    hubspot.latency = 0.0
    with running(["qcluster"], env=env, log=tmp_path / "qcluster-2.log"):

        def delivered() -> bool:
            return all(
                not model.objects.filter(simulation__in=simulations).exclude(sync_status="synced").exists()
                for model in (Contact, Company, Deal)
            ) and all(Simulation.objects.get(pk=s.pk).status == "completed" for s in simulations)

        wait_for(delivered, timeout=300, interval=0.5, what="every record delivered")
        wait_for(
            lambda: not ScheduledJob.objects.filter(job_type="SYNC_CRM", status__in=["pending", "processing"]).exists(),
            timeout=60,
            what="the last associations",
        )
    for simulation in simulations:
        contacts = Contact.objects.filter(simulation=simulation).count()
        assert contacts == 1500
    assert len(hubspot.objects("contacts")) == 3000
    assert len(hubspot.objects("companies")) == Company.objects.count()
    assert len(hubspot.objects("deals")) == Deal.objects.count()
    assert sum(record.counted for record in hubspot.requests) > 90  # more than one window's worth
    assert hubspot.max_in_window(10.0) <= 90


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backlog_against_hubspots_latency_is_delivered_at_the_budget_never_over_it(tmp_path: Path) -> None:
    """HubSpot answers a batch in about 800 ms: delivery keeps enough requests in flight to use the
    budget (90 per rolling 10 s at the starter tier) rather than one request per latency."""
    from connectors.services import connection_update

    owner = UserFactory.create()
    with HubSpotStandIn(ten_second_limit=100, latency_ms=800) as hubspot:
        connection = _held_connection(owner, hubspot)
        simulation = _backfill(owner, connection.pk, contacts=5000)
        env = process_env(SIMCRM_WORKERS="2")
        with running(["qcluster"], env=env, log=tmp_path / "qcluster.log"):
            wait_for(
                lambda: Simulation.objects.filter(pk=simulation.pk, status="completed").exists(),
                timeout=240,
                interval=0.5,
                what="the backfill to be made",
            )
            released_at = len(hubspot.requests)
            connection_update(connection=Connection.objects.get(pk=connection.pk), access_token=STANDIN_TOKEN)
            # A small simulation on the same portal, while the backlog flows: it is not starved.
            wait_for(lambda: len(hubspot.requests) > released_at + 30, timeout=60, what="the backlog to flow")
            small_started = time.monotonic()
            small = _backfill(owner, connection.pk, contacts=30, seed=2, scenario="b2c", deal_rate=0.0)
            small_records = Contact.objects.filter(simulation=small)
            wait_for(
                lambda: small_records.count() == 30 and not small_records.exclude(sync_status="synced").exists(),
                timeout=120,
                interval=0.2,
                what="the small simulation's contacts delivered",
            )
            small_took = time.monotonic() - small_started
            backlog_left = Contact.objects.filter(simulation=simulation).exclude(sync_status="synced").count()
            wait_for(lambda: _all_delivered([simulation.pk, small.pk]), timeout=240, interval=0.5, what="every record")
        # From the first batch on: the portal's custom properties are set up once, before it (six requests).
        sent = [
            record.time
            for record in hubspot.requests[released_at + 1 :]
            if record.counted and "/properties/" not in record.path
        ]
        assert not any("/properties/" in record.path for record in hubspot.requests if record.time > sent[0])
        busiest = hubspot.max_in_window(10.0)
        assert_delivered_once(hubspot, simulation.pk, small.pk)
    records = sum(model.objects.filter(simulation=simulation).count() for model in (Contact, Company, Deal))
    assert records > 3000 and len(sent) > 60
    budget_per_second = 90 / 10
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    assert rate >= 0.8 * budget_per_second, f"{len(sent)} requests at {rate:.2f}/s against a budget of 9/s"
    assert busiest <= 90
    # Made and delivered within seconds, while the big backlog still had records to send.
    assert backlog_left > 500 and small_took < 20, (backlog_left, small_took)


def _held_connection(owner: Any, hubspot: HubSpotStandIn) -> Connection:
    """A connection whose deliveries are held (as after a revoked token) until a PATCH releases them."""
    from connectors.services import connection_create

    connection = connection_create(owner=owner, name="Portal", access_token=STANDIN_TOKEN, base_url=hubspot.base_url)
    Connection.objects.filter(pk=connection.pk).update(status="invalid", last_error="Held by the test.")
    return connection


def _backfill(owner: Any, connection_id: int, *, contacts: int, seed: int = 1, **crm: Any) -> Simulation:
    from simulations.funnel import CrmSettings
    from simulations.services import simulation_create

    plan = PlanFactory.create(total_records=contacts, starts_at=timezone.now() - timedelta(days=90), seed=seed)
    return simulation_create(
        owner=owner,
        theme="Space pirates",
        industry="Logistics",
        plan=plan,
        crm=CrmSettings(activity_level="none", **crm),
        connection_id=connection_id,
    )


def _all_delivered(simulation_ids: list[int]) -> bool:
    undelivered = any(
        model.objects.filter(simulation_id__in=simulation_ids).exclude(sync_status="synced").exists()
        for model in (Contact, Company, Deal)
    )
    deliveries = ScheduledJob.objects.filter(job_type="SYNC_CRM", status__in=["pending", "processing"])
    return not undelivered and not deliveries.exists()
