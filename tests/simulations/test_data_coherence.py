"""Data that holds together when someone looks closer: countries, head counts, hours of moves, domains.

One seeded 2,000-record b2b run under the business-hours curve (the run the issue looked at),
played to its end through the real services, is read back from the database and the API.
"""

import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.validators import validate_email
from django.db.models import Count
from django.utils import timezone
from rest_framework.test import APIClient

from jobs.runner import scheduled_jobs_run_due
from simulations import timeline_versions
from simulations.curves import Plan
from simulations.domains import reserved_domain
from simulations.funnel import CrmSettings
from simulations.models import Company, Contact, Deal, RecordEvent, Simulation
from simulations.services import simulation_create
from standins.openai import OpenAIStandIn, StandInReply
from tests.factories import UserFactory
from tests.idle import run_until_idle
from tests.simulations.test_crm import _story

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"
ZONE = "Europe/Berlin"
RESERVED = (".example.com", ".example.org", ".example.net")
# A hostname label as HubSpot and Salesforce accept it: lowercase letters, digits, inner hyphens.
LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
LOCALES = Path(__file__).resolve().parents[2] / "personas" / "data" / "locales.toml"


def _body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "theme": "Harbour cranes",
        "industry": "Logistics",
        "total_records": 2000,
        "seed": 20261204,
        "starts_at": (now - timedelta(days=90)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "distribution": "business_hours",
        "timezone": ZONE,
        "deal_rate": 0.5,
        "win_rate": 0.4,
        "sales_cycle_days": 14,
        # These tests judge contacts, companies and moves; activities keep to the hours in tests/activities.
        "activity_level": "none",
        **overrides,
    }


@pytest.fixture(scope="module")
def run(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Simulation]:
    """The 2,000-record b2b run with the default email_domains, played to its end. Tests only read it."""
    with django_db_blocker.unblock():
        user = UserFactory.create()
        client = APIClient()
        client.force_authenticate(user)
        created = client.post(URL, _body(), format="json")
        assert created.status_code == 201, created.content
        assert created.json()["email_domains"] == "reserved"
        run_until_idle()
        simulation = Simulation.objects.get(pk=created.json()["id"])
        yield simulation
        simulation.delete()
        user.delete()


# --- countries ------------------------------------------------------------------------------------------


def test_most_contacts_live_in_their_companys_country_and_some_do_not(run: Simulation) -> None:
    contacts = list(Contact.objects.filter(simulation=run).values_list("country", "company_record__country"))
    assert len(contacts) == 2000 and all(company for _, company in contacts)
    agreeing = sum(own == company for own, company in contacts)
    # About 88% by design: remote staff and multinationals' people keep their own country.
    assert 0.8 * len(contacts) <= agreeing <= 0.95 * len(contacts)


def test_a_contacts_phone_number_is_of_the_country_it_lives_in(run: Simulation) -> None:
    calling_codes = {
        locale["country"]: locale["calling_code"] for locale in tomllib.loads(LOCALES.read_text())["locales"]
    }
    contacts = list(Contact.objects.filter(simulation=run).values_list("country", "phone", "city"))
    assert {country for country, _, _ in contacts} <= set(calling_codes)
    wrong = [(c, p) for c, p, _ in contacts if not p.startswith(f"+{calling_codes[c]} ")]
    assert not wrong, wrong[:5]
    assert all(city for _, _, city in contacts)


def test_of_the_contacts_in_their_companys_country_most_live_in_its_city(run: Simulation) -> None:
    local = list(
        Contact.objects.filter(simulation=run).values_list(
            "city", "company_record__city", "country", "company_record__country"
        )
    )
    same_country = [(city, office) for city, office, country, theirs in local if country == theirs]
    same_city = sum(city == office for city, office in same_country)
    assert 0.5 * len(same_country) < same_city < len(same_country)


# --- head counts ----------------------------------------------------------------------------------------


def test_no_company_has_fewer_employees_than_its_contacts(run: Simulation) -> None:
    companies = list(Company.objects.filter(simulation=run).annotate(people=Count("contacts")))
    assert len(companies) > 500
    short = [
        (company.name, company.employees, company.people) for company in companies if company.employees < company.people
    ]
    assert not short, short[:5]
    # Companies of several contacts exist, so the check above had something to hold.
    assert Counter(company.people for company in companies).most_common(1)[0][0] >= 2


# --- hours of moves -------------------------------------------------------------------------------------


def _outside_business_hours(instants: list[datetime]) -> list[str]:
    zone = ZoneInfo(ZONE)
    local = [instant.astimezone(zone) for instant in instants]
    return [moment.isoformat() for moment in local if moment.weekday() >= 5 or not 9 <= moment.hour < 17]


def test_deals_open_and_every_stage_moves_in_business_hours(run: Simulation) -> None:
    events = list(RecordEvent.objects.filter(simulation=run).values_list("property", "old_value", "occurred_at"))
    moves = [at for _, old, at in events if old is not None]
    deals = list(Deal.objects.filter(simulation=run).values_list("occurred_at", flat=True))
    # The funnel went far enough to prove something: deals opened, and closed, inside the window.
    assert (
        len(deals) > 300
        and Deal.objects.filter(simulation=run, dealstage__in=["closedwon", "closedlost"]).count() > 100
    )
    assert len(moves) > 2000
    assert _outside_business_hours(deals) == []
    assert _outside_business_hours(moves) == []
    assert _outside_business_hours([at for prop, _, at in events if prop == "dealstage"]) == []
    companies = list(Company.objects.filter(simulation=run).values_list("occurred_at", flat=True))
    assert _outside_business_hours(companies) == []


def test_the_closedate_of_a_closed_deal_is_its_close(run: Simulation) -> None:
    closed = Deal.objects.filter(simulation=run, dealstage__in=["closedwon", "closedlost"])
    closes = dict(
        RecordEvent.objects.filter(
            simulation=run, object_type="deal", new_value__in=["closedwon", "closedlost"]
        ).values_list("object_id", "occurred_at")
    )
    assert closed.exists()
    assert all(deal.closedate == closes[deal.pk] for deal in closed)


# --- email domains --------------------------------------------------------------------------------------


def _domains(simulation_id: int) -> list[str]:
    companies = Company.objects.filter(simulation_id=simulation_id).values_list("domain", flat=True)
    emails = Contact.objects.filter(simulation_id=simulation_id).values_list("email", flat=True)
    return [*companies, *(email.rsplit("@", 1)[1] for email in emails)]


def _assert_reserved(simulation_id: int) -> None:
    domains = _domains(simulation_id)
    assert domains
    assert [domain for domain in domains if not domain.endswith(RESERVED)] == []
    assert [domain for domain in domains if not all(LABEL.match(label) for label in domain.split("."))] == []
    for email in Contact.objects.filter(simulation_id=simulation_id).values_list("email", flat=True):
        validate_email(email)


def test_by_default_every_domain_is_a_subdomain_of_a_reserved_one(run: Simulation) -> None:
    _assert_reserved(run.pk)
    # Contacts write from their company's domain, and some from their own (personal-looking) one.
    at_company = Contact.objects.filter(simulation=run).values_list("email", "company_record__domain")
    shares = Counter(email.endswith(f"@{domain}") for email, domain in at_company)
    assert shares[True] > shares[False] > 0


def test_realistic_domains_are_lifelike_and_a_replay_keeps_them(api_client: APIClient) -> None:
    created = api_client.post(URL, _body(total_records=120, email_domains="realistic"), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["email_domains"] == "realistic"
    run_until_idle()
    domains = _domains(created.json()["id"])
    assert len(domains) > 120
    assert [domain for domain in domains if domain.endswith(RESERVED)] == []

    replayed = api_client.post(f"{URL}{created.json()['id']}/replay/")
    assert replayed.status_code == 201, replayed.content
    assert replayed.json()["email_domains"] == "realistic"
    run_until_idle()
    original, replay = _story(created.json()["id"]), _story(replayed.json()["id"])
    for part in ("contacts", "companies", "deals", "events"):
        assert replay[part] == original[part], part
    places = [
        list(
            Contact.objects.filter(simulation_id=sid)
            .order_by("occurred_at", "id")
            .values_list("phone", "city", "country")
        )
        for sid in (created.json()["id"], replayed.json()["id"])
    ]
    assert places[0] == places[1]


def test_b2c_and_the_original_schedule_use_reserved_domains_by_default(api_client: APIClient) -> None:
    b2c = api_client.post(URL, _body(total_records=60, scenario="b2c"), format="json")
    assert b2c.status_code == 201, b2c.content
    classic = api_client.post(URL, {"theme": "Harbour cranes", "industry": "Logistics"}, format="json")
    assert classic.status_code == 201, classic.content
    assert classic.json()["email_domains"] == "reserved"
    run_until_idle()
    scheduled_jobs_run_due()
    assert Contact.objects.filter(simulation_id=classic.json()["id"]).exists()  # its first job is due at once
    _assert_reserved(b2c.json()["id"])
    _assert_reserved(classic.json()["id"])


def test_openai_personas_with_real_looking_domains_get_reserved_ones(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 12
    personas = [
        {
            "firstname": f"Sarah{chr(97 + i)}",
            "lastname": "Avila",
            "email": f"sarah.avila{i}@{['gmail.com', 'evercore.com', 'mail.acme.co.uk', 'web_shop.de'][i % 4]}",
            "jobtitle": "Buyer",
            "company": "Evercore",
            "industry": "Logistics",
            "phone": "+1 212-555-0100",
            "city": "New York",
            "country": "United States",
        }
        for i in range(12)
    ]
    companies = [
        {
            "name": f"Evercore {i}",
            "domain": f"evercore{i}.{['com', 'org', 'net', 'de'][i % 4]}",
            "industry": "Logistics",
            "city": "Berlin",
            "country": "Germany",
            "employees": 1,
        }
        for i in range(12)
    ]
    reply = StandInReply.ok(personas=personas, companies=companies)
    openai_standin.script([reply, reply])
    created = api_client.post(URL, _body(total_records=12, theme="Real names"), format="json")
    assert created.status_code == 201, created.content
    run_until_idle()
    simulation_id = created.json()["id"]
    assert set(Contact.objects.filter(simulation_id=simulation_id).values_list("source", flat=True)) == {"openai"}
    _assert_reserved(simulation_id)
    assert {
        domain.split(".", 1)[1]
        for domain in Company.objects.filter(simulation_id=simulation_id).values_list("domain", flat=True)
    } <= {"example.com", "example.org", "example.net", "de.example.com"}
    # Every company employs at least the contacts it was given (the pool said 1 each).
    assert all(
        company.employees >= company.people
        for company in Company.objects.filter(simulation_id=simulation_id).annotate(people=Count("contacts"))
    )
    # The shared pool keeps what the provider wrote: the choice is the simulation's, not the cache's.
    from personas.models import CachedPersona

    cached = [entry["email"] for pool in CachedPersona.objects.filter(kind="contact") for entry in pool.entries]
    assert any(email.endswith("@gmail.com") for email in cached)


@pytest.mark.parametrize(
    ("domain", "reserved"),
    [
        ("evercore.com", "evercore.example.com"),
        ("acme.org", "acme.example.org"),
        ("acme.net", "acme.example.net"),
        ("brightpath.de", "brightpath.de.example.com"),
        ("mail.acme.co.uk", "mail.acme.co.uk.example.com"),
        ("Web_Shop.IO", "web-shop.io.example.com"),
        ("henrybrown.example.com", "henrybrown.example.com"),
        ("example.org", "example.org"),
    ],
)
def test_reserved_domains_keep_the_name_under_example(domain: str, reserved: str) -> None:
    assert reserved_domain(domain) == reserved


def test_a_long_domain_is_cut_to_a_valid_hostname() -> None:
    long = ".".join(["a" * 63] * 4) + ".com"
    reserved = reserved_domain(long)
    assert len(reserved) <= 253 and reserved.endswith(".example.com")
    assert all(LABEL.match(label) for label in reserved.split("."))


# --- the setting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "preview/"])
def test_an_unknown_email_domains_is_a_400_naming_the_field(api_client: APIClient, user: Any, path: str) -> None:
    for body in (_body(total_records=5, email_domains="real"), {"theme": "t", "industry": "i", "email_domains": 1}):
        response = api_client.post(f"{URL}{path}", body, format="json")
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["email_domains"]
    assert not Simulation.objects.filter(owner=user).exists()


# --- simulations planned before these changes ---------------------------------------------------------


def test_a_simulation_of_the_first_timeline_replays_as_it_was_drawn(api_client: APIClient, user: Any) -> None:
    """Made before moves kept the curve's clock and companies placed their people: its replay keeps that."""
    body = _body(total_records=300)
    original = simulation_create(
        owner=user,
        theme=body["theme"],
        industry=body["industry"],
        plan=Plan(
            total_records=300,
            starts_at=datetime.fromisoformat(body["starts_at"]),
            ends_at=datetime.fromisoformat(body["ends_at"]),
            distribution="business_hours",
            curve_weights=None,
            timezone=ZONE,
            seed=body["seed"],
            timeline_version=timeline_versions.FIRST,
        ),
        crm=CrmSettings(deal_rate=0.5, win_rate=0.4, sales_cycle_days=14),
        email_domains="realistic",
    )
    run_until_idle()

    replayed = api_client.post(f"{URL}{original.pk}/replay/", format="json")
    assert replayed.status_code == 201, replayed.content
    run_until_idle()
    replay = Simulation.objects.get(pk=replayed.json()["id"])

    assert replay.timeline_version == timeline_versions.FIRST
    moves = list(
        RecordEvent.objects.filter(simulation=original, old_value__isnull=False).values_list("occurred_at", flat=True)
    )
    # The first timeline's moves ran on the wall clock, nights and weekends included.
    assert _outside_business_hours(moves) != []
    for fields in (("object_type", "property", "new_value", "occurred_at"),):
        assert list(RecordEvent.objects.filter(simulation=original).order_by(*fields).values_list(*fields)) == list(
            RecordEvent.objects.filter(simulation=replay).order_by(*fields).values_list(*fields)
        )
    people = ("email", "country", "phone", "city", "occurred_at")
    assert list(Contact.objects.filter(simulation=original).order_by("email").values_list(*people)) == list(
        Contact.objects.filter(simulation=replay).order_by("email").values_list(*people)
    )
    # Nor did its companies place their people: most contacts keep their persona's country.
    agreeing = sum(
        own == theirs
        for own, theirs in Contact.objects.filter(simulation=original).values_list("country", "company_record__country")
    )
    assert agreeing < 0.75 * 300
