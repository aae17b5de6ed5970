"""Company pools (company_for_record, companies_for_records) against PostgreSQL and the OpenAI stand-in."""

import re
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from personas.errors import PersonaError
from personas.forecast import persona_forecast
from personas.models import CachedPersona, PoolKind
from personas.offline import offline_company
from personas.services import (
    TakenCompany,
    _lock_ids,
    companies_for_records,
    company_for_record,
    persona_cache_key,
    persona_for_record,
    persona_pools_purge,
    record_seed,
)
from personas.validation import COMPANY_PROPERTIES, clean_companies
from standins.openai import OpenAIStandIn, StandInReply
from tests.conftest import STANDIN_API_KEY

pytestmark = pytest.mark.django_db

THEME = "Space pirates"
INDUSTRY = "Logistics"
HOSTNAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$")


def _company(seed: int, index: int, attempt: int = 0, theme: str = THEME) -> TakenCompany:
    return company_for_record(theme=theme, industry=INDUSTRY, seed=seed, index=index, attempt=attempt)


def _pool() -> CachedPersona:
    return CachedPersona.objects.get(kind=PoolKind.COMPANY)


# --- offline ----------------------------------------------------------------------------------------


def test_offline_companies_are_a_pure_function_of_seed_index_and_attempt() -> None:
    first = [_company(7, index) for index in range(30)]

    assert [_company(7, index) for index in range(30)] == first
    assert [_company(7, index, theme="  space  PIRATES ") for index in range(30)] == first
    assert all(taken.source == "offline" and taken.cached is False for taken in first)
    assert [_company(8, index) for index in range(30)] != first
    # A retry after a taken domain gets another company.
    retried = [_company(7, index, attempt=1) for index in range(30)]
    assert all(again.data["domain"] != taken.data["domain"] for again, taken in zip(retried, first, strict=True))
    assert not CachedPersona.objects.exists()  # offline companies are never pooled


def test_a_company_does_not_share_its_seed_with_the_contact_of_its_index() -> None:
    assert record_seed(seed=7, index=3, salt="company") != record_seed(seed=7, index=3)
    assert _company(7, 3).data == offline_company(
        seed=record_seed(seed=7, index=3, salt="company"), theme=THEME, industry=INDUSTRY
    )


def test_a_thousand_offline_companies_of_one_seed_are_valid_and_distinct() -> None:
    companies = [_company(42, index).data for index in range(1000)]

    assert all(clean_companies([company]) == ([company], []) for company in companies)
    domains = {company["domain"] for company in companies}
    assert len(domains) >= 990
    assert len({company["name"].casefold() for company in companies}) >= 990
    for company in companies:
        assert list(company) == list(COMPANY_PROPERTIES)
        assert HOSTNAME.match(company["domain"]), company
        assert company["industry"] == "Logistics"
        assert all(company[prop] for prop in COMPANY_PROPERTIES)
    employees = sorted(company["employees"] for company in companies)
    assert all(isinstance(count, int) and count >= 1 for count in employees)
    assert employees[500] < 200 < employees[950]  # many small firms, some large ones
    tlds = {company["domain"].split(".", 1)[1] for company in companies}
    assert {"com", "co.uk", "de"} <= tlds


def test_offline_companies_for_records_returns_every_index() -> None:
    found = companies_for_records(theme=THEME, industry=INDUSTRY, seed=5, indexes=[0, 3, 9])
    assert found == {index: _company(5, index) for index in (0, 3, 9)}


# --- the OpenAI pool --------------------------------------------------------------------------------


def test_one_provider_call_per_pool_size_of_companies(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 10

    taken = [_company(1, index) for index in range(25)]

    assert len(openai_standin.requests) == 3
    assert all(request.wants_companies for request in openai_standin.requests)
    assert [request.user_json["count"] for request in openai_standin.requests] == [10, 10, 10]
    assert [len(request.user_json["avoid_names"]) for request in openai_standin.requests] == [0, 10, 20]
    assert sum(not company.cached for company in taken) == 3
    assert all(company.source == "openai" for company in taken)
    assert len({company.data["domain"] for company in taken}) == 25
    pool = _pool()
    assert (pool.theme, pool.industry, pool.source) == (THEME, INDUSTRY, "openai")
    assert pool.cache_key == persona_cache_key(theme=THEME, industry=INDUSTRY)
    assert len(pool.entries) == 30 and list(pool.persona_data) == ["companies"]
    assert (pool.generation_calls, pool.misses) == (3, 3)
    assert pool.prompt_tokens > 0 and pool.completion_tokens > 0
    assert {company.model for company in taken} == {"gpt-6-luna"}  # OPENAI_MODEL=auto's choice
    # A replay reads the same companies, without a call.
    assert [_company(1, index) for index in range(25)] == [
        TakenCompany(data=company.data, source="openai", cached=True, model="gpt-6-luna") for company in taken
    ]
    assert len(openai_standin.requests) == 3


def test_another_simulation_reuses_the_pool_in_another_order(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 10
    first = [_company(1, index) for index in range(10)]
    second = [_company(2, index, theme="SPACE pirates") for index in range(10)]

    assert len(openai_standin.requests) == 1
    assert all(company.cached for company in second)
    assert sorted(c.data["domain"] for c in second) == sorted(c.data["domain"] for c in first)
    assert [c.data["domain"] for c in second] != [c.data["domain"] for c in first]


def test_companies_and_contacts_of_one_key_are_separate_pools(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 5
    company = _company(1, 0)
    contact = persona_for_record(theme=THEME, industry=INDUSTRY, seed=1, index=0)

    assert contact is not None and contact.cached is False and "email" in contact.data
    assert "domain" in company.data
    assert len(openai_standin.requests) == 2
    assert sorted(CachedPersona.objects.values_list("kind", flat=True)) == ["company", "contact"]
    assert _lock_ids("space pirates\nlogistics", "openai", PoolKind.COMPANY) != _lock_ids(
        "space pirates\nlogistics", "openai"
    )


def test_companies_for_records_leaves_out_what_the_pool_lacks(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 10
    assert companies_for_records(theme=THEME, industry=INDUSTRY, seed=3, indexes=[0, 1]) == {}

    _company(3, 4)  # fills positions 0..9
    found = companies_for_records(theme=THEME, industry=INDUSTRY, seed=3, indexes=list(range(20)))

    assert sorted(found) == list(range(10))  # 10..19 read positions the pool does not have yet
    assert all(found[index] == _company(3, index) for index in found)
    assert all(company.cached for company in found.values())
    assert len(openai_standin.requests) == 1


def test_a_pool_keeps_only_valid_distinct_companies(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 3
    good = {
        "name": "Nova Haul",
        "domain": "NovaHaul.com",
        "industry": "Logistics",
        "city": "Lyon",
        "country": "France",
        "employees": 12,
    }
    openai_standin.script(
        [
            StandInReply.ok(
                companies=[good, {**good, "name": "Other"}, {**good, "domain": "x.io", "employees": 0}, {**good}]
            ),
            StandInReply.ok(companies=[{**good, "domain": "novahaul.fr"}, {**good, "name": "Drift", "domain": "d.io"}]),
        ]
    )
    _company(9, 0)
    _company(9, 1)

    assert [(c["name"], c["domain"]) for c in _pool().entries] == [("Nova Haul", "novahaul.com"), ("Drift", "d.io")]
    assert openai_standin.requests[1].user_json["avoid_names"] == ["Nova Haul"]


def test_a_provider_writing_nothing_new_is_a_retryable_error(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 1
    first = _company(4, 0)
    # A new name at a domain the pool has: the agent takes it, the pool does not.
    openai_standin.script([StandInReply.ok(companies=[{**first.data, "name": "Someone Else"}])])
    with pytest.raises(PersonaError) as raised:
        _company(4, 1)  # with a pool size of 1, record 1 reads position 1
    assert raised.value.retryable is True
    assert raised.value.code == "no_new_personas"
    assert "no new companies" in str(raised.value)


def test_provider_errors_pass_through_and_leave_nothing_behind(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.rate_limited(retry_after_ms=200)])
    with pytest.raises(PersonaError) as raised:
        _company(1, 0)
    assert raised.value.retryable is True
    assert STANDIN_API_KEY not in str(raised.value)
    assert not CachedPersona.objects.exists()
    assert _company(1, 0).cached is False


# --- purge, forecast, API and admin -----------------------------------------------------------------


def test_purging_a_company_pool_makes_the_next_record_call_again(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 5
    _company(1, 0)
    persona_for_record(theme=THEME, industry=INDUSTRY, seed=1, index=0)
    assert len(openai_standin.requests) == 2

    assert persona_pools_purge(pool_ids=[_pool().pk]) == 1

    assert list(CachedPersona.objects.values_list("kind", flat=True)) == ["contact"]
    assert companies_for_records(theme=THEME, industry=INDUSTRY, seed=1, indexes=[0]) == {}
    assert _company(1, 0).cached is False
    assert len(openai_standin.requests) == 3


def test_the_forecast_counts_company_calls(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 10
    contacts_only = persona_forecast(theme=THEME, industry=INDUSTRY, records=25)
    cold = persona_forecast(theme=THEME, industry=INDUSTRY, records=25, companies=21)
    assert (contacts_only.persona_calls, cold.persona_calls) == (3, 6)
    assert cold.prompt_tokens == 2 * contacts_only.prompt_tokens

    _company(1, 0)  # 10 companies cached, from one call
    pool = _pool()
    warm = persona_forecast(theme=THEME, industry=INDUSTRY, records=25, companies=21)

    assert warm.persona_calls == 3 + 2
    assert warm.prompt_tokens == contacts_only.prompt_tokens + 2 * pool.prompt_tokens
    assert warm.completion_tokens == contacts_only.completion_tokens + 2 * pool.completion_tokens
    assert len(openai_standin.requests) == 1  # a forecast never calls the provider


def test_the_api_lists_and_deletes_both_kinds(
    openai_standin: OpenAIStandIn, settings: Any, staff_client: APIClient
) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 3
    company = _company(1, 0)
    persona_for_record(theme=THEME, industry=INDUSTRY, seed=1, index=0)

    rows = {row["kind"]: row for row in staff_client.get("/api/personas/").json()["results"]}

    assert set(rows) == {"contact", "company"}
    assert rows["company"]["persona_count"] == 3
    assert company.data in rows["company"]["persona_data"]["companies"]
    assert rows["company"]["persona_data"]["personas"] == []
    assert rows["contact"]["persona_data"]["companies"] == []
    assert len(rows["contact"]["persona_data"]["personas"]) == 3
    assert staff_client.delete(f"/api/personas/{rows['company']['id']}/").status_code == 204
    assert list(CachedPersona.objects.values_list("kind", flat=True)) == ["contact"]


def test_the_admin_shows_and_filters_kind(openai_standin: OpenAIStandIn, admin_client: Client) -> None:
    _company(1, 0)
    persona_for_record(theme=THEME, industry=INDUSTRY, seed=1, index=0)

    response = admin_client.get("/admin/personas/cachedpersona/?kind__exact=company")

    assert response.status_code == 200
    assert [row.kind for row in response.context["cl"].result_list] == ["company"]
    assert "Companies" in response.content.decode()
    pool = _pool()
    assert admin_client.get(f"/admin/personas/cachedpersona/{pool.pk}/change/").status_code == 200


# --- concurrency ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_on_a_cold_key_make_one_call(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 10
    openai_standin.latency = 0.5
    results: list[Any] = [None] * 5
    barrier = threading.Barrier(5)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = _company(1, index)
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(isinstance(result, TakenCompany) for result in results), results
    assert len(openai_standin.requests) == 1
    assert len({result.data["domain"] for result in results}) == 5
    assert _pool().generation_calls == 1
