"""Delivery to Salesforce, over real HTTP against the stand-in: a connection checked with one token request,
accounts, contacts, opportunities and activities inserted once with their lookups and past dates, an expired
token renewed, a daily allocation that runs out and comes back, a killed worker, and a secret never shown."""

import logging
import os
import signal
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from activities.models import Call, Email, Meeting, Note, Task, TaskStatus
from connectors.budget import daily_usage_note, requests_per_day
from connectors.crm.salesforce.mapping import DEAL_STAGES, LIFECYCLE_STAGES
from connectors.models import Connection
from jobs.models import ScheduledJob
from jobs.runner import scheduled_jobs_run_due
from simulations.models import Company, Contact, Deal, Simulation
from standins.salesforce import STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, SalesforceStandIn
from tests.connectors.test_delivery import DELIVERY_DEFERRAL, planned
from tests.contract import CONNECTION_FIELDS
from tests.factories import PlanFactory, UserFactory
from tests.idle import run_until_idle
from tests.processes import process_env, running, wait_for

pytestmark = pytest.mark.django_db

ACTIVITIES: dict[str, Any] = {"emails": Email, "calls": Call, "notes": Note, "tasks": Task}


@pytest.fixture
def salesforce() -> Iterator[SalesforceStandIn]:
    with SalesforceStandIn() as standin:
        yield standin


def _body(salesforce: SalesforceStandIn, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Stand-in org",
        "kind": "salesforce",
        "instance_url": salesforce.base_url,
        "client_id": STANDIN_CLIENT_ID,
        "client_secret": STANDIN_CLIENT_SECRET,
        **overrides,
    }


@pytest.fixture
def sf_connection(api_client: APIClient, salesforce: SalesforceStandIn) -> dict[str, Any]:
    response = api_client.post("/api/connections/", _body(salesforce), format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _ms(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _once(salesforce: SalesforceStandIn, sobject: str) -> dict[str, str]:
    """SimCRM id -> Salesforce id of the sObject's records, asserting that each SimCRM id is there once."""
    by_id = salesforce.records_by_external_id(sobject)
    twice = {key: ids for key, ids in by_id.items() if len(ids) != 1}
    assert not twice, f"{sobject}: {len(twice)} SimCRM ids held more than once"
    return {key: ids[0] for key, ids in by_id.items()}


# --- connections ---------------------------------------------------------------------------------


def test_a_connection_is_made_once_salesforce_accepts_its_client_credentials(
    sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    assert list(sf_connection) == CONNECTION_FIELDS
    assert sf_connection["kind"] == "salesforce" and sf_connection["base_url"] == salesforce.base_url
    assert sf_connection["client_id"] == STANDIN_CLIENT_ID and sf_connection["daily_share"] == 0.5
    assert sf_connection["secret_last4"] == STANDIN_CLIENT_SECRET[-4:] == sf_connection["token_last4"]
    assert (sf_connection["status"], sf_connection["tier"], sf_connection["portal_id"]) == ("ok", "org", None)
    stored = Connection.objects.get(pk=sf_connection["id"])
    assert STANDIN_CLIENT_SECRET not in stored.token_encrypted
    # One token request and one call (the limits), which also told the budget the org's allocation.
    assert [request.path.split("/")[-1] for request in salesforce.requests] == ["token", "limits"]
    assert stored.crm_usage["max"] == 15_000 and stored.crm_usage["others"] == 0
    assert requests_per_day(stored) == 7_500


def test_refused_or_missing_credentials_are_a_400_naming_the_field_and_nothing_is_saved(
    api_client: APIClient, salesforce: SalesforceStandIn
) -> None:
    def post(**overrides: Any) -> Any:
        return api_client.post("/api/connections/", _body(salesforce, **overrides), format="json")

    refused = post(client_secret="wrong-secret-9876")
    assert refused.status_code == 400 and list(refused.json()) == ["client_secret"]
    assert "wrong-secret-9876" not in refused.content.decode()
    assert "invalid_client" in refused.json()["client_secret"][0]
    body = _body(salesforce)
    del body["client_id"]
    missing = api_client.post("/api/connections/", body, format="json")
    assert missing.status_code == 400 and list(missing.json()) == ["client_id"]
    hubspot_field = post(access_token="pat-na1-00000000")
    assert hubspot_field.status_code == 400 and list(hubspot_field.json()) == ["access_token"]
    assert post(daily_share=0).status_code == 400 and "daily_share" in post(daily_share=1.5).json()
    unreachable = post(instance_url="http://127.0.0.1:9")
    assert unreachable.status_code == 400 and list(unreachable.json()) == ["instance_url"]
    assert not Connection.objects.exists()


def test_a_patch_with_a_good_secret_releases_a_connection_held_by_a_refused_one(
    api_client: APIClient, sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    url = f"/api/connections/{sf_connection['id']}/"
    Connection.objects.filter(pk=sf_connection["id"]).update(status="invalid", last_error="refused")
    wrong = api_client.patch(url, {"client_secret": "still-wrong-0000"}, format="json")
    assert wrong.status_code == 400 and list(wrong.json()) == ["client_secret"]
    assert api_client.get(url).json()["status"] == "invalid"
    fixed = api_client.patch(url, {"client_secret": STANDIN_CLIENT_SECRET, "daily_share": 0.25}, format="json")
    assert fixed.status_code == 200, fixed.content
    assert (fixed.json()["status"], fixed.json()["daily_share"]) == ("ok", 0.25)


def test_the_daily_share_is_of_what_the_other_apps_leave(
    sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    connection = Connection.objects.get(pk=sf_connection["id"])
    # The org reports 4,000 of 15,000 used, 1,000 of them SimCRM's own (its budget counted them).
    Connection.objects.filter(pk=connection.pk).update(
        requests_by_hour={str(int(datetime.now().timestamp() // 3600)): 1000}
    )
    daily_usage_note(connection_id=connection.pk, usage=(4_000, 15_000))
    connection.refresh_from_db()
    assert connection.crm_usage["others"] == 3_000
    assert requests_per_day(connection) == 6_000  # half of the 12,000 the others leave


# --- delivery ------------------------------------------------------------------------------------


def test_a_b2b_run_arrives_once_with_its_lookups_stages_and_past_dates(
    api_client: APIClient, sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    created = api_client.post(
        "/api/simulations/", planned(sf_connection["id"], total_records=60, activity_level="normal"), format="json"
    )
    assert created.status_code == 201, created.content
    simulation_id = created.json()["id"]
    run_until_idle(within=DELIVERY_DEFERRAL)

    companies = list(Company.objects.filter(simulation_id=simulation_id))
    contacts = list(Contact.objects.filter(simulation_id=simulation_id).select_related("company_record"))
    deals = list(Deal.objects.filter(simulation_id=simulation_id).select_related("contact", "company"))
    assert companies and len(contacts) == 60 and deals
    for delivered in (companies, contacts, deals):
        assert all(record.sync_status == "synced" and record.crm_id for record in delivered)
    accounts, org_contacts, opportunities = (salesforce.objects(name) for name in ("Account", "Contact", "Opportunity"))
    assert set(_once(salesforce, "Account").values()) == {c.crm_id for c in companies} == set(accounts)
    assert set(_once(salesforce, "Contact").values()) == {c.crm_id for c in contacts} == set(org_contacts)
    assert set(_once(salesforce, "Opportunity").values()) == {d.crm_id for d in deals} == set(opportunities)
    for company in companies:
        assert _instant(accounts[company.crm_id or ""]["CreatedDate"]) == _ms(company.occurred_at)
    for contact in contacts:
        fields = org_contacts[contact.crm_id or ""]
        assert fields["Email"] == contact.email and fields["LastName"] == contact.lastname
        assert fields["AccountId"] == (contact.company_record.crm_id if contact.company_record else None)
        assert fields["SimCRM_Lifecycle_Stage__c"] == LIFECYCLE_STAGES[contact.lifecyclestage]
        assert _instant(fields["CreatedDate"]) == _ms(contact.occurred_at) < _ms(contact.created_at)
    roles = {
        (role["OpportunityId"], role["ContactId"]) for role in salesforce.objects("OpportunityContactRole").values()
    }
    for deal in deals:
        fields = opportunities[deal.crm_id or ""]
        assert fields["StageName"] == DEAL_STAGES[deal.dealstage]
        assert (fields["AccountId"], fields["ContactId"]) == (
            deal.company.crm_id if deal.company else None,
            deal.contact.crm_id,
        )
        assert (deal.crm_id, deal.contact.crm_id) in roles
        assert _instant(fields["CreatedDate"]) == _ms(deal.occurred_at)
    assert len(roles) == len(deals)
    # Activities: Tasks (emails, calls, notes, to-dos) and Events (meetings), each naming its contact and deal.
    tasks, events = salesforce.objects("Task"), salesforce.objects("Event")
    task_ids = _once(salesforce, "Task")
    activities = 0
    for name, model in ACTIVITIES.items():
        rows = list(model.objects.filter(simulation_id=simulation_id).select_related("contact", "company", "deal"))
        assert rows, name
        for record in rows:
            assert record.sync_status == "synced" and task_ids.get(_key(record)) == record.crm_id, record.sync_error
            fields = tasks[record.crm_id or ""]
            assert fields["WhoId"] == record.contact.crm_id
            assert fields["WhatId"] == (
                record.deal.crm_id if record.deal else record.company.crm_id if record.company else None
            )
            assert _instant(fields["CreatedDate"]) == _ms(record.occurred_at)
        activities += len(rows)
    assert len(tasks) == activities
    meetings = list(Meeting.objects.filter(simulation_id=simulation_id))
    assert meetings and set(_once(salesforce, "Event").values()) == {m.crm_id for m in meetings} == set(events)
    done = Task.objects.filter(simulation_id=simulation_id, hs_task_status=TaskStatus.COMPLETED).first()
    assert done is not None and tasks[done.crm_id or ""]["Status"] == "Completed"
    calls = [tasks[c.crm_id or ""] for c in Call.objects.filter(simulation_id=simulation_id)]
    assert {call["TaskSubtype"] for call in calls} == {"Call"} and all(call["CallDurationInSeconds"] for call in calls)
    # Collections of up to 200: far fewer requests than records.
    total = len(companies) + len(contacts) + len(deals) + activities + len(meetings)
    data_requests = [request for request in salesforce.requests if "/services/data/" in request.path]
    assert len(data_requests) < total / 8, (len(data_requests), total)


def test_the_org_is_set_up_in_two_requests_once_and_an_org_without_audit_fields_keeps_the_date_in_simcrms_field(
    api_client: APIClient,
) -> None:
    with SalesforceStandIn(audit_fields=False) as salesforce:
        connection = api_client.post("/api/connections/", _body(salesforce), format="json").json()
        created = api_client.post("/api/simulations/", planned(connection["id"], total_records=20), format="json")
        run_until_idle(within=DELIVERY_DEFERRAL)
        setup = [r.path.split("/v62.0")[-1] for r in salesforce.requests if r.path.endswith("composite")]
        assert setup == ["/composite", "/tooling/composite"]
        recorded = Connection.objects.get(pk=connection["id"]).custom_properties
        assert set(recorded) == {"Account", "Contact", "Opportunity", "Task", "Event"}
        assert all("CreatedDate" not in names and "SimCRM_Id__c" in names for names in recorded.values())
        contacts = Contact.objects.filter(simulation_id=created.json()["id"])
        assert contacts.count() == 20 and not contacts.exclude(sync_status="synced").exists()
        org = salesforce.objects("Contact")
        for contact in contacts:
            fields = org[contact.crm_id or ""]
            assert _instant(fields["SimCRM_Created_Date__c"]) == _ms(contact.occurred_at)
            assert _instant(fields["CreatedDate"]) > _ms(contact.occurred_at)  # the org's own clock


def test_an_org_that_refuses_new_fields_says_which_to_create_by_hand(api_client: APIClient) -> None:
    with SalesforceStandIn(field_creation=False) as salesforce:
        connection = api_client.post("/api/connections/", _body(salesforce), format="json").json()
        created = api_client.post("/api/simulations/", planned(connection["id"], total_records=10), format="json")
        run_until_idle(within=DELIVERY_DEFERRAL)
        contact = Contact.objects.filter(simulation_id=created.json()["id"]).first()
        assert contact is not None and contact.sync_status == "failed"
        assert "INSUFFICIENT_ACCESS" in contact.sync_error
        assert "Contact: SimCRM Id (SimCRM_Id__c, Text(100), External ID, Unique)" in contact.sync_error
        assert not salesforce.objects("Contact")


def _key(record: Any) -> str:
    from connectors.delivery import simcrm_ids

    return simcrm_ids(record._meta.db_table, [record.pk])[record.pk]


def test_an_expired_token_is_renewed_once_mid_run_without_using_an_attempt(
    api_client: APIClient, sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    first = api_client.post("/api/simulations/", planned(sf_connection["id"], total_records=30), format="json").json()
    run_until_idle(within=DELIVERY_DEFERRAL)
    assert Contact.objects.filter(simulation_id=first["id"], sync_status="synced").count() == 30
    salesforce.expire_tokens()
    second = api_client.post(
        "/api/simulations/", planned(sf_connection["id"], total_records=30, seed=8), format="json"
    ).json()
    run_until_idle(within=DELIVERY_DEFERRAL)

    assert Contact.objects.filter(simulation_id=second["id"], sync_status="synced").count() == 30
    assert len(_once(salesforce, "Contact")) == 60
    tokens = [request for request in salesforce.requests if request.path.endswith("/oauth2/token")]
    refused = [request for request in salesforce.requests if request.status == 401]
    assert len(tokens) == 2 and len(refused) == 1  # the first token, and one renewal after one 401
    deliveries = ScheduledJob.objects.filter(job_type="SYNC_CRM")
    assert not deliveries.exclude(status="completed").exists() and not deliveries.filter(attempts__gt=1).exists()
    assert Connection.objects.get(pk=sf_connection["id"]).status == "ok"


def test_a_secret_refused_mid_run_holds_deliveries_until_a_patch_gives_the_new_one(
    api_client: APIClient, sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    salesforce.client_secret = "rotated-secret-4321"  # an admin rotated the Connected App's secret
    salesforce.expire_tokens()
    created = api_client.post("/api/simulations/", planned(sf_connection["id"], total_records=20), format="json").json()
    run_until_idle(within=DELIVERY_DEFERRAL)

    held = api_client.get(f"/api/connections/{sf_connection['id']}/").json()
    assert held["status"] == "invalid" and "invalid_client" in held["last_error"]
    assert Contact.objects.filter(simulation_id=created["id"], sync_status="pending").count() == 20
    assert not salesforce.objects("Contact")
    fixed = api_client.patch(
        f"/api/connections/{sf_connection['id']}/", {"client_secret": "rotated-secret-4321"}, format="json"
    )
    assert fixed.status_code == 200 and fixed.json()["secret_last4"] == "4321"
    run_until_idle(within=DELIVERY_DEFERRAL)
    assert Contact.objects.filter(simulation_id=created["id"], sync_status="synced").count() == 20
    assert len(_once(salesforce, "Contact")) == 20


@override_settings(SIMCRM_CRM_PROBE_SECONDS=1)
def test_a_daily_allocation_that_runs_out_holds_deliveries_until_it_is_restored(
    api_client: APIClient, sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    salesforce.exhaust_daily()  # other apps used the org's allocation
    created = api_client.post("/api/simulations/", planned(sf_connection["id"], total_records=40), format="json").json()

    def held() -> bool:
        scheduled_jobs_run_due()
        return Connection.objects.filter(pk=sf_connection["id"], status="rate_limited").exists()

    wait_for(held, timeout=30, what="the connection to be held by the daily allocation")
    connection = api_client.get(f"/api/connections/{sf_connection['id']}/").json()
    assert "daily API allocation" in connection["last_error"]
    assert not Contact.objects.filter(simulation_id=created["id"], sync_status__in=["synced", "failed"]).exists()
    assert not salesforce.objects("Contact")

    salesforce.reset_daily()
    run_until_idle(within=DELIVERY_DEFERRAL)
    assert Contact.objects.filter(simulation_id=created["id"], sync_status="synced").count() == 40
    assert len(_once(salesforce, "Contact")) == 40
    assert Connection.objects.get(pk=sf_connection["id"]).status == "ok"


def test_a_lost_answer_is_found_by_its_simcrm_ids_instead_of_sent_twice(
    api_client: APIClient, sf_connection: dict[str, Any], salesforce: SalesforceStandIn
) -> None:
    salesforce.lose_next_answers(1, path="/composite/sobjects$")
    created = api_client.post("/api/simulations/", planned(sf_connection["id"], total_records=30), format="json").json()
    run_until_idle(within=DELIVERY_DEFERRAL)
    assert Contact.objects.filter(simulation_id=created["id"], sync_status="synced").count() == 30
    assert len(_once(salesforce, "Account")) == Company.objects.filter(simulation_id=created["id"]).count()
    assert len(_once(salesforce, "Contact")) == 30
    assert any("/query" in request.path for request in salesforce.requests)  # the look for what it made


def test_the_forecast_counts_salesforce_requests_and_warns_past_the_daily_share(
    api_client: APIClient, sf_connection: dict[str, Any]
) -> None:
    body = planned(sf_connection["id"], total_records=2_000, activity_level="normal")
    forecast = api_client.post("/api/simulations/preview/", body, format="json").json()["forecast"]
    assert forecast["hubspot_requests"] > 2_000 / 200
    assert forecast["crm_day_use"] == pytest.approx(forecast["hubspot_requests"] / 7_500, abs=1e-4)
    # 5 in flight at the second assumed before the org has answered: 5 requests a second.
    assert forecast["hubspot_seconds"] == pytest.approx(forecast["hubspot_requests"] / 5, abs=0.1)
    assert forecast["crm_warning"] == ""
    # An org whose other apps leave 100 requests a day: half of it is 50, and this run needs more.
    Connection.objects.filter(pk=sf_connection["id"]).update(crm_usage={"max": 15_000, "others": 14_900})
    tight = api_client.post("/api/simulations/preview/", body, format="json").json()["forecast"]
    assert tight["crm_day_use"] > 1 and "more than the 50 a day" in tight["crm_warning"]


def test_the_secret_and_tokens_appear_in_no_answer_job_log_or_admin_page(
    api_client: APIClient,
    sf_connection: dict[str, Any],
    salesforce: SalesforceStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    created = api_client.post("/api/simulations/", planned(sf_connection["id"], total_records=20), format="json")
    salesforce.expire_tokens()  # a renewal too
    run_until_idle(within=DELIVERY_DEFERRAL)
    secrets = [STANDIN_CLIENT_SECRET, *salesforce.tokens_issued()]
    assert len(secrets) >= 3
    seen = [
        created.content.decode(),
        api_client.get("/api/connections/").content.decode(),
        api_client.get(f"/api/connections/{sf_connection['id']}/").content.decode(),
        caplog.text,
        *(str([job.payload, job.result, job.last_error]) for job in ScheduledJob.objects.all()),
    ]
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(staff)
    for url in ("/admin/connectors/connection/", f"/admin/connectors/connection/{sf_connection['id']}/change/"):
        page = admin.get(url)
        assert page.status_code == 200
        seen.append(page.content.decode())
    stored = Connection.objects.get(pk=sf_connection["id"])
    seen.append(str([stored.last_error, stored.custom_properties, stored.crm_usage, stored.client_id]))
    for text in seen:
        for secret in secrets:
            assert secret not in text


# --- workers as in production --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_no_duplicate(tmp_path: Path) -> None:
    from connectors.services import connection_create
    from simulations.funnel import CrmSettings
    from simulations.services import simulation_create

    owner = UserFactory.create()
    with SalesforceStandIn(latency_ms=800) as salesforce:
        connection = connection_create(
            owner=owner,
            name="Org",
            kind="salesforce",
            instance_url=salesforce.base_url,
            client_id=STANDIN_CLIENT_ID,
            client_secret=STANDIN_CLIENT_SECRET,
        )
        simulation = simulation_create(
            owner=owner,
            theme="Space pirates",
            industry="Logistics",
            plan=PlanFactory.create(total_records=1500, seed=3),
            crm=CrmSettings(deal_rate=0.5, sales_cycle_days=5, activity_level="light"),
            connection_id=connection.pk,
        )
        env = process_env(SIMCRM_WORKERS="2", SIMCRM_JOB_TIMEOUT_SECONDS="5")
        with running(["qcluster"], env=env, log=tmp_path / "qcluster-1.log") as cluster:
            wait_for(lambda: len(salesforce.objects("Contact")) > 0, timeout=120, what="contacts in the org")
            wait_for(lambda: salesforce.in_flight >= 2, timeout=60, interval=0.02, what="inserts in flight")
            os.killpg(cluster.pid, signal.SIGKILL)
        salesforce.latency = 0.0
        with running(["qcluster"], env=env, log=tmp_path / "qcluster-2.log"):

            def delivered() -> bool:
                return Simulation.objects.get(pk=simulation.pk).status == "completed" and all(
                    not model.objects.filter(simulation=simulation).exclude(sync_status="synced").exists()
                    for model in (Contact, Company, Deal, Email, Call, Meeting, Note, Task)
                )

            wait_for(delivered, timeout=300, interval=0.5, what="every record delivered")
        assert len(_once(salesforce, "Contact")) == 1500
        assert len(_once(salesforce, "Account")) == Company.objects.filter(simulation=simulation).count()
        assert len(_once(salesforce, "Opportunity")) == Deal.objects.filter(simulation=simulation).count()
        activities = sum(model.objects.filter(simulation=simulation).count() for model in (Email, Call, Note, Task))
        assert len(_once(salesforce, "Task")) == activities
        assert len(salesforce.objects("OpportunityContactRole")) == Deal.objects.filter(simulation=simulation).count()
        # The batches in flight when the worker died were applied: sent again, they were refused as duplicates.
        assert salesforce.duplicates_refused > 0
