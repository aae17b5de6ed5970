"""A whole CRM: companies, deals and a funnel played out over a planned simulation's window."""

import csv
import io
import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from activities.job_types import ACTIVITY_JOB_TYPES
from jobs.models import JobStatus, ScheduledJob
from jobs.runner import scheduled_job_run, scheduled_jobs_claim_due, scheduled_jobs_run_due
from simulations.models import (
    DEAL_ORDER,
    LIFECYCLE_ORDER,
    Company,
    Contact,
    Deal,
    RecordEvent,
    Simulation,
)
from simulations.planner import MAX_LIVE_JOBS, simulations_plan_due
from standins.openai import OpenAIStandIn
from tests.contract import COMPANY_FIELDS, CONTACT_FIELDS, DEAL_FIELDS, EVENT_FIELDS
from tests.factories import PlanFactory, UserFactory
from tests.idle import run_until_idle
from tests.processes import process_env, running, wait_for

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"


def crm_body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    fields: dict[str, Any] = {
        "theme": "Space pirates",
        "industry": "Logistics",
        "total_records": 300,
        "seed": 20261130,
        "starts_at": (now - timedelta(days=120)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "deal_rate": 0.6,
        "win_rate": 0.4,
        "sales_cycle_days": 20,
        # The funnel's tests; activities have their own (tests/activities/).
        "activity_level": "none",
    }
    fields.update(overrides)
    return fields


@pytest.fixture(scope="module")
def played(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """One seeded b2b simulation of 300 contacts over a backfilled window, played to its end, and its replay.

    Module-scoped: the tests below only read it; it is removed at the end.
    """
    with django_db_blocker.unblock():
        user = UserFactory.create()
        client = APIClient()
        client.force_authenticate(user)
        created = client.post(URL, crm_body(), format="json")
        assert created.status_code == 201, created.content
        run_until_idle()
        replayed = client.post(f"{URL}{created.json()['id']}/replay/")
        assert replayed.status_code == 201, replayed.content
        run_until_idle()
        ids = {"original": created.json()["id"], "replay": replayed.json()["id"]}
        yield {"user": user, **ids}
        Simulation.objects.filter(pk__in=ids.values()).delete()
        user.delete()


@pytest.fixture
def owner_client(played: dict[str, Any]) -> APIClient:
    client = APIClient()
    client.force_authenticate(played["user"])
    return client


def test_the_simulation_completes_with_every_contact_company_and_deal(played: dict[str, Any]) -> None:
    simulation = Simulation.objects.get(pk=played["original"])
    assert simulation.status == "completed"
    assert simulation.jobs.exclude(status=JobStatus.COMPLETED).count() == 0
    assert simulation.contacts.count() == 300
    companies = simulation.companies.count()
    # About contacts_per_company (3) contacts per company.
    assert 300 / 4 < companies < 300 / 2
    assert simulation.contacts.filter(company_record__isnull=True).count() == 0
    # Within the company's domain for most, and distinct within the simulation in any case.
    assert simulation.contacts.values("email").distinct().count() == 300
    assert simulation.companies.values("domain").distinct().count() == companies
    assert simulation.companies.values("name").distinct().count() == companies
    employed = list(
        simulation.contacts.values_list("email", "company", "company_record__domain", "company_record__name")
    )
    assert sum(email.endswith(f"@{domain}") for email, _, domain, _ in employed) > 200
    assert all(company == name for _, company, _, name in employed)


def test_every_deal_has_a_contact_and_its_company(played: dict[str, Any]) -> None:
    deals = list(Deal.objects.filter(simulation_id=played["original"]).select_related("contact"))
    # deal_rate 0.6 of 300 contacts, minus those whose opportunity falls after ends_at.
    assert 120 < len(deals) <= 300
    for deal in deals:
        assert deal.contact.simulation_id == played["original"]
        assert deal.company_id is not None and deal.company_id == deal.contact.company_record_id
        assert deal.amount > 0 and deal.currency == "USD" and deal.pipeline == "default"
        assert LIFECYCLE_ORDER[deal.contact.lifecyclestage] >= LIFECYCLE_ORDER["opportunity"]


def test_every_stage_sequence_moves_forward_only(played: dict[str, Any]) -> None:
    events = RecordEvent.objects.filter(simulation_id=played["original"]).order_by("occurred_at", "id")
    by_record: dict[tuple[str, int], list[RecordEvent]] = defaultdict(list)
    for event in events:
        by_record[(event.object_type, event.object_id)].append(event)
    contacts = dict(Contact.objects.filter(simulation_id=played["original"]).values_list("id", "lifecyclestage"))
    deals = dict(Deal.objects.filter(simulation_id=played["original"]).values_list("id", "dealstage"))
    assert {object_id for kind, object_id in by_record if kind == "contact"} == set(contacts)
    assert {object_id for kind, object_id in by_record if kind == "deal"} == set(deals)
    for (kind, object_id), sequence in by_record.items():
        order = LIFECYCLE_ORDER if kind == "contact" else DEAL_ORDER
        assert sequence[0].old_value is None
        assert sequence[0].new_value == ("lead" if kind == "contact" else "appointmentscheduled")
        for before, after in itertools.pairwise(sequence):
            assert after.old_value == before.new_value
            assert order[after.new_value] > order[before.new_value], (kind, object_id, before, after)
            assert after.occurred_at > before.occurred_at
        # The record is where its last event left it.
        assert sequence[-1].new_value == (contacts[object_id] if kind == "contact" else deals[object_id])


def test_the_share_of_deals_won_is_the_win_rate_within_sampling_error(played: dict[str, Any]) -> None:
    closed = Deal.objects.filter(simulation_id=played["original"], dealstage__in=["closedwon", "closedlost"])
    won = closed.filter(dealstage="closedwon").count()
    total = closed.count()
    assert total > 60
    share, rate = won / total, 0.4
    assert abs(share - rate) < 3.5 * math.sqrt(rate * (1 - rate) / total), (won, total)


def test_won_deals_make_customers_and_lost_deals_make_others(played: dict[str, Any]) -> None:
    deals = Deal.objects.filter(simulation_id=played["original"]).select_related("contact")
    outcomes = {deal.dealstage: deal.contact.lifecyclestage for deal in deals if deal.dealstage.startswith("closed")}
    assert outcomes == {"closedwon": "customer", "closedlost": "other"}
    for deal in deals:
        if deal.dealstage == "closedwon":
            assert deal.contact.lifecyclestage == "customer"
        elif deal.dealstage == "closedlost":
            assert deal.contact.lifecyclestage == "other"
        else:
            assert deal.contact.lifecyclestage == "opportunity"
    # Some records are still part-way through the funnel when the window ends, as in a real CRM.
    assert deals.exclude(dealstage__startswith="closed").exists()
    assert Contact.objects.filter(simulation_id=played["original"], lifecyclestage="lead").exists()


def test_nothing_happens_after_the_window_ends(played: dict[str, Any]) -> None:
    simulation = Simulation.objects.get(pk=played["original"])
    starts_at, ends_at = simulation.starts_at, simulation.ends_at
    assert starts_at is not None and ends_at is not None
    for model in (Contact, Company, Deal, RecordEvent):
        instants = model.objects.filter(simulation=simulation).values_list("occurred_at", flat=True)
        assert instants and all(at is not None and starts_at <= at < ends_at for at in instants), model


def _story(simulation_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a simulation made, with ids replaced by what the records are (emails, domains)."""
    contacts = dict(Contact.objects.filter(simulation_id=simulation_id).values_list("id", "email"))
    deal_contacts = dict(Deal.objects.filter(simulation_id=simulation_id).values_list("id", "contact__email"))
    return {
        "contacts": list(
            Contact.objects.filter(simulation_id=simulation_id)
            .order_by("occurred_at", "id")
            .values_list(
                "firstname", "lastname", "email", "company", "lifecyclestage", "company_record__domain", "occurred_at"
            )
        ),
        "companies": list(
            Company.objects.filter(simulation_id=simulation_id)
            .order_by("occurred_at", "id")
            .values_list("name", "domain", "industry", "city", "country", "employees", "occurred_at")
        ),
        "deals": list(
            Deal.objects.filter(simulation_id=simulation_id)
            .order_by("occurred_at", "id")
            .values_list("name", "amount", "dealstage", "closedate", "contact__email", "company__domain", "occurred_at")
        ),
        "events": [
            (
                kind,
                contacts[object_id] if kind == "contact" else deal_contacts[object_id],
                prop,
                old,
                new,
                at,
            )
            for kind, object_id, prop, old, new, at in RecordEvent.objects.filter(simulation_id=simulation_id)
            .order_by("occurred_at", "object_type", "new_value", "id")
            .values_list("object_type", "object_id", "property", "old_value", "new_value", "occurred_at")
        ],
    }


def test_the_same_seed_replays_the_same_funnel(played: dict[str, Any]) -> None:
    original, replay = _story(played["original"]), _story(played["replay"])
    assert len(original["events"]) > 600
    for part in ("contacts", "companies", "deals", "events"):
        assert replay[part] == original[part], part


def test_the_read_endpoints_list_records_in_the_timeline_order(played: dict[str, Any], owner_client: APIClient) -> None:
    base = f"{URL}{played['original']}"
    for path, fields, model in (
        ("companies", COMPANY_FIELDS, Company),
        ("deals", DEAL_FIELDS, Deal),
        ("events", EVENT_FIELDS, RecordEvent),
        ("contacts", CONTACT_FIELDS, Contact),
    ):
        page = owner_client.get(f"{base}/{path}/", {"page_size": 1000}).json()
        assert page["count"] == model.objects.filter(simulation_id=played["original"]).count(), path
        rows = page["results"]
        assert list(rows[0]) == fields, path
        keys = [(datetime.fromisoformat(row["occurred_at"]), row["id"]) for row in rows]
        assert keys == sorted(keys), path


def test_the_funnel_counts_every_stage_and_the_pipeline_amount(played: dict[str, Any], owner_client: APIClient) -> None:
    funnel = owner_client.get(f"{URL}{played['original']}/funnel/").json()

    assert set(funnel) == {"lifecyclestage", "dealstage", "pipeline_amount"}
    assert set(funnel["lifecyclestage"]) == set(LIFECYCLE_ORDER)
    assert set(funnel["dealstage"]) == set(funnel["pipeline_amount"]) == set(DEAL_ORDER)
    assert sum(funnel["lifecyclestage"].values()) == 300
    deals = Deal.objects.filter(simulation_id=played["original"])
    for stage in DEAL_ORDER:
        at_stage = deals.filter(dealstage=stage)
        assert funnel["dealstage"][stage] == at_stage.count()
        assert Decimal(funnel["pipeline_amount"][stage]) == sum((deal.amount for deal in at_stage), Decimal(0))
    for stage in LIFECYCLE_ORDER:
        assert (
            funnel["lifecyclestage"][stage]
            == Contact.objects.filter(simulation_id=played["original"], lifecyclestage=stage).count()
        )


@pytest.mark.parametrize(
    ("name", "model", "header"),
    [
        ("contacts", Contact, ["firstname", "lastname", "email", "jobtitle", "company", "industry", "phone"]),
        ("companies", Company, ["name", "domain", "industry", "city", "country", "numberofemployees"]),
        ("deals", Deal, ["dealname", "amount", "deal_currency_code", "pipeline", "dealstage", "closedate"]),
    ],
)
def test_the_csv_export_parses_with_hubspot_headers_and_a_row_per_record(
    played: dict[str, Any], owner_client: APIClient, name: str, model: Any, header: list[str]
) -> None:
    response = owner_client.get(f"{URL}{played['original']}/export/", {"object": name})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][: len(header)] == header
    assert "createdate" in rows[0]
    assert len(rows) - 1 == model.objects.filter(simulation_id=played["original"]).count()
    assert all(len(row) == len(rows[0]) for row in rows)
    if name == "contacts":
        assert {row[rows[0].index("lifecyclestage")] for row in rows[1:]} <= set(LIFECYCLE_ORDER)


def test_an_export_of_an_unknown_object_is_a_400(played: dict[str, Any], owner_client: APIClient) -> None:
    for query in ({"object": "tickets"}, {}):
        response = owner_client.get(f"{URL}{played['original']}/export/", query)
        assert response.status_code == 400
        assert "object" in response.json()


def test_another_user_reads_none_of_it(played: dict[str, Any], other_client: APIClient) -> None:
    for path in ("companies/", "deals/", "events/", "funnel/", "export/?object=contacts"):
        assert other_client.get(f"{URL}{played['original']}/{path}").status_code == 404, path


BAD_CRM_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"deal_rate": 1.5}, "deal_rate"),
    ({"deal_rate": -0.1}, "deal_rate"),
    ({"deal_rate": "lots"}, "deal_rate"),
    ({"win_rate": 2}, "win_rate"),
    ({"win_rate": None}, "win_rate"),
    ({"contacts_per_company": 0}, "contacts_per_company"),
    ({"contacts_per_company": 51}, "contacts_per_company"),
    ({"contacts_per_company": 2.5}, "contacts_per_company"),
    ({"sales_cycle_days": 0}, "sales_cycle_days"),
    ({"sales_cycle_days": 366}, "sales_cycle_days"),
    ({"scenario": "b2g"}, "scenario"),
    ({"scenario": "b2c", "contacts_per_company": 3}, "contacts_per_company"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_CRM_INPUT)
def test_bad_crm_input_is_a_400_naming_the_field_and_creates_nothing(
    api_client: APIClient, overrides: dict[str, Any], field: str
) -> None:
    before = (Simulation.objects.count(), ScheduledJob.objects.count())
    for path in (URL, f"{URL}preview/"):
        response = api_client.post(path, crm_body(**overrides), format="json")
        assert response.status_code == 400, (path, response.content)
        assert field in response.json(), response.json()
    assert (Simulation.objects.count(), ScheduledJob.objects.count()) == before


def test_crm_fields_without_total_records_are_a_400(api_client: APIClient) -> None:
    response = api_client.post(
        URL, {"theme": "Classic", "industry": "Music", "deal_rate": 0.5, "scenario": "b2c"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"deal_rate", "scenario"}


def test_the_original_schedule_stays_contacts_only(api_client: APIClient) -> None:
    created = api_client.post(URL, {"theme": "Classic", "industry": "Music"}, format="json").json()
    assert [created[field] for field in ("scenario", "contacts_per_company", "deal_rate", "win_rate")] == [None] * 4
    assert set(ScheduledJob.objects.filter(simulation_id=created["id"]).values_list("job_type", flat=True)) == {
        "CREATE_CONTACT"
    }


def test_b2c_has_no_companies_and_its_deals_none(api_client: APIClient) -> None:
    created = api_client.post(URL, crm_body(scenario="b2c", total_records=60, deal_rate=1.0), format="json").json()
    assert created["scenario"] == "b2c" and created["contacts_per_company"] is None
    run_until_idle()
    simulation = Simulation.objects.get(pk=created["id"])
    assert simulation.companies.count() == 0
    assert simulation.contacts.filter(company_record__isnull=False).count() == 0
    assert simulation.deals.count() > 30
    assert simulation.deals.filter(company__isnull=False).count() == 0


def test_the_preview_counts_the_company_pool(api_client: APIClient, openai_standin: OpenAIStandIn) -> None:
    def calls(**overrides: Any) -> int:
        body = crm_body(total_records=3000, theme="Fresh theme", **overrides)
        return int(api_client.post(f"{URL}preview/", body, format="json").json()["forecast"]["persona_calls"])

    contacts_only = calls(scenario="b2c")
    assert contacts_only == 120  # 3,000 contacts / 25 a call
    assert calls() == contacts_only + 40  # and 1,000 companies (3 contacts each) / 25 a call
    assert calls(contacts_per_company=10) == contacts_only + 12
    assert openai_standin.requests == []


# --- moves: in order, exactly once, whatever the workers ------------------------------------------


def _moves(simulation_id: int) -> Any:
    return ScheduledJob.objects.filter(
        simulation_id=simulation_id, job_type__in=["ADVANCE_LIFECYCLE", "CREATE_DEAL", "ADVANCE_DEAL"]
    )


def test_a_move_whose_earlier_move_has_not_run_waits_without_using_an_attempt(api_client: APIClient) -> None:
    created = api_client.post(URL, crm_body(total_records=30, deal_rate=1.0), format="json").json()
    jobs = ScheduledJob.objects.filter(simulation_id=created["id"])
    sql = _moves(created["id"]).filter(payload__to="salesqualifiedlead").order_by("scheduled_for").first()
    assert sql is not None
    contact_job = jobs.get(job_type="CREATE_CONTACT", payload__index=sql.payload["index"])
    company_job = jobs.get(job_type="CREATE_COMPANY", payload__company=contact_job.payload["company"])
    # Only the contact (with its company) and its SQL move are due; its MQL move, in between, is not.
    jobs.exclude(pk__in=[sql.pk, contact_job.pk, company_job.pk]).update(
        scheduled_for=timezone.now() + timedelta(days=1)
    )

    summary = scheduled_jobs_run_due()

    assert summary.deferred == 1
    sql.refresh_from_db()
    assert (sql.status, sql.attempts) == (JobStatus.PENDING, 0)
    assert "Waiting for contact" in sql.last_error
    assert Contact.objects.get(simulation_id=created["id"], record_index=sql.payload["index"]).lifecyclestage == "lead"
    # Once the MQL move has run, the SQL move applies.
    jobs.filter(payload__index=sql.payload["index"], payload__to="marketingqualifiedlead").update(
        scheduled_for=timezone.now() - timedelta(seconds=1)
    )
    jobs.filter(pk=sql.pk).update(scheduled_for=timezone.now())
    scheduled_jobs_run_due()
    assert Contact.objects.get(simulation_id=created["id"], record_index=sql.payload["index"]).lifecyclestage == (
        "salesqualifiedlead"
    )


def test_a_move_whose_earlier_move_failed_fails_with_a_readable_error(api_client: APIClient) -> None:
    created = api_client.post(URL, crm_body(total_records=20, deal_rate=1.0), format="json").json()
    mql = _moves(created["id"]).filter(payload__to="marketingqualifiedlead").order_by("scheduled_for").first()
    assert mql is not None
    index = mql.payload["index"]
    ScheduledJob.objects.filter(simulation_id=created["id"], payload__index=index, job_type="CREATE_CONTACT").update(
        status=JobStatus.FAILED, last_error="persona provider down"
    )
    ScheduledJob.objects.filter(pk=mql.pk).update(scheduled_for=timezone.now() - timedelta(days=365))
    claim, ids = scheduled_jobs_claim_due(limit=1)
    assert ids == [mql.pk]

    assert scheduled_job_run(job_id=mql.pk, claim=claim) == "failed"

    mql.refresh_from_db()
    assert "never reached lead" in mql.last_error and "Retry the failed job" in mql.last_error


def test_a_retried_move_of_a_record_already_past_it_does_nothing(api_client: APIClient) -> None:
    created = api_client.post(URL, crm_body(total_records=40, deal_rate=1.0), format="json").json()
    run_until_idle()
    events = RecordEvent.objects.filter(simulation_id=created["id"]).count()
    moved = _moves(created["id"]).filter(job_type="ADVANCE_DEAL").first()
    assert moved is not None
    ScheduledJob.objects.filter(pk=moved.pk).update(status=JobStatus.FAILED)
    assert api_client.post(f"/api/jobs/{moved.pk}/retry/").status_code == 200

    run_until_idle()

    moved.refresh_from_db()
    assert moved.status == JobStatus.COMPLETED and moved.result["moved"] is False
    assert RecordEvent.objects.filter(simulation_id=created["id"]).count() == events
    assert Simulation.objects.get(pk=created["id"]).status == "completed"


def test_the_live_job_cap_counts_every_job_type(api_client: APIClient) -> None:
    now = timezone.now()
    body = crm_body(
        total_records=40_000, starts_at=(now - timedelta(days=200)).isoformat(), deal_rate=0.9, activity_level="busy"
    )
    simulation_id = api_client.post(URL, body, format="json").json()["id"]
    simulations_plan_due()
    live = ScheduledJob.objects.filter(simulation_id=simulation_id, status__in=["pending", "processing"])
    assert live.count() == MAX_LIVE_JOBS
    assert set(live.values_list("job_type", flat=True)) == {
        "CREATE_COMPANY",
        "CREATE_CONTACT",
        "ADVANCE_LIFECYCLE",
        "CREATE_DEAL",
        "ADVANCE_DEAL",
        *ACTIVITY_JOB_TYPES,
    }
    # Planned in time order: nothing unplanned comes before the last planned instant.
    simulation = Simulation.objects.get(pk=simulation_id)
    assert simulation.planned_records < 40_000 and not simulation.plan_finished


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_qcluster_plays_a_funnel_to_its_end(tmp_path: Path) -> None:
    from simulations.funnel import CrmSettings
    from simulations.services import simulation_create

    plan = PlanFactory.create(total_records=120, starts_at=timezone.now() - timedelta(days=60), seed=7)
    crm = CrmSettings(deal_rate=0.8, win_rate=0.5, sales_cycle_days=10)
    simulation = simulation_create(owner=UserFactory.create(), theme="Deep sea", industry="Mining", plan=plan, crm=crm)

    with running(["qcluster"], env=process_env(), log=tmp_path / "qcluster.log"):
        wait_for(
            lambda: Simulation.objects.filter(pk=simulation.pk, status="completed").first(),
            timeout=180,
            interval=0.5,
            what="the simulation to complete",
        )
    assert simulation.jobs.exclude(status=JobStatus.COMPLETED).count() == 0
    assert simulation.contacts.count() == 120
    closed = Deal.objects.filter(simulation=simulation, dealstage__startswith="closed").select_related("contact")
    assert closed.count() > 40
    assert all(
        deal.contact.lifecyclestage == ("customer" if deal.dealstage == "closedwon" else "other") for deal in closed
    )
    for deal in Deal.objects.filter(simulation=simulation):
        stages = list(
            RecordEvent.objects.filter(object_type="deal", object_id=deal.pk)
            .order_by("occurred_at", "id")
            .values_list("new_value", flat=True)
        )
        assert [DEAL_ORDER[stage] for stage in stages] == sorted({DEAL_ORDER[stage] for stage in stages})


def test_the_original_schedules_jobs_may_repeat_an_index(api_client: APIClient) -> None:
    """Only a planned record has a place in a schedule; the original schedule's 5 jobs, scheduled twice,
    make 10 contacts."""
    from simulations.services import contact_jobs_schedule

    created = api_client.post(URL, {"theme": "Classic", "industry": "Music"}, format="json").json()
    contact_jobs_schedule(simulation=Simulation.objects.get(pk=created["id"]))
    ScheduledJob.objects.filter(simulation_id=created["id"]).update(scheduled_for=timezone.now())

    run_until_idle()

    contacts = Contact.objects.filter(simulation_id=created["id"])
    assert contacts.count() == 10 and not contacts.filter(record_index__isnull=False).exists()
