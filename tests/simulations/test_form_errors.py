"""Create and preview as a form meets them: every error at once, in words, and the deals a run will open."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from simulations.curves import Plan
from simulations.funnel import FORECAST_SAMPLE, CrmSettings, funnel_draws, plan_offsets
from simulations.models import Deal, Simulation
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"
PATHS = (URL, f"{URL}preview/")
# The create serializer's fields: a message meant for a person names none of them.
API_NAMES = re.compile(
    r"\b(total_records|starts_at|ends_at|distribution|curve_weights|timezone|record_frequency|"
    r"contacts_per_company|deal_rate|win_rate|sales_cycle_days|b2c|b2b)\b"
)


def planned(**overrides: Any) -> dict[str, Any]:
    return {"theme": "Space pirates", "industry": "Logistics", "total_records": 100, "seed": 7, **overrides}


def ago(**delta: float) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


def errors_of(client: APIClient, body: dict[str, Any]) -> dict[str, list[str]]:
    """The 400 of create and of preview, which must agree, for a body that creates nothing."""
    answers = [client.post(path, body, format="json") for path in PATHS]
    assert [a.status_code for a in answers] == [400, 400], [a.content for a in answers]
    assert set(answers[0].json()) == set(answers[1].json())
    assert not Simulation.objects.exists()
    result: dict[str, list[str]] = answers[0].json()
    return result


def test_a_field_that_does_not_parse_no_longer_hides_the_window_errors(api_client: APIClient) -> None:
    body = planned(
        total_records=0,  # a field error: DRF used to stop here, before the window was judged
        starts_at=ago(days=400),  # too old: only the server can tell
        ends_at=ago(days=1),  # 399 days after the start: too long
        timezone="Mars/Olympus_Mons",
        seed=-1,
    )

    errors = errors_of(api_client, body)

    assert set(errors) == {"total_records", "starts_at", "ends_at", "timezone", "seed"}
    assert errors["starts_at"] == ["Window start can be at most 366 days in the past."]
    assert errors["ends_at"] == ["The window can be at most 366 days long: bring window end closer to window start."]


def test_the_window_and_the_curve_are_judged_beside_a_bad_crm_value(api_client: APIClient) -> None:
    body = planned(
        starts_at=ago(days=1), ends_at=ago(days=2), deal_rate=1.5, distribution="uniform", curve_weights=[1, 2]
    )

    errors = errors_of(api_client, body)

    assert set(errors) == {"ends_at", "deal_rate", "curve_weights"}
    assert errors["ends_at"] == ["Window end must be after window start."]


def test_checks_that_depend_on_a_value_not_understood_are_left_out(api_client: APIClient) -> None:
    # The start cannot be read, so the end is not compared with a start the user did not give.
    assert set(errors_of(api_client, planned(starts_at="yesterday", ends_at=ago(days=3)))) == {"starts_at"}
    # The curve is not one SimCRM knows, so its weights are not judged against it.
    assert set(errors_of(api_client, planned(distribution="zigzag", curve_weights=[1, 2]))) == {"distribution"}
    # The scenario cannot be read: contacts per company is not refused for a b2c it may not be.
    assert set(errors_of(api_client, planned(scenario="b2g", contacts_per_company=3))) == {"scenario"}


BAD_BODIES: list[dict[str, Any]] = [
    planned(starts_at=ago(days=400)),
    planned(starts_at=ago(days=1), ends_at=ago(days=2)),
    planned(starts_at=ago(days=1), ends_at=(timezone.now() + timedelta(days=400)).isoformat()),
    planned(distribution="custom"),
    planned(distribution="custom", curve_weights=[0, 0]),
    planned(curve_weights=[1, 2]),
    planned(scenario="b2c", contacts_per_company=3),
    planned(record_frequency="1h"),
    planned(timezone="Mars/Olympus_Mons"),
    planned(connection=999_999),
    planned(distribution="business_hours", starts_at="2031-03-08T00:00:00Z", ends_at="2031-03-09T20:00:00Z"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_the_messages_use_the_forms_words_not_the_api_names(api_client: APIClient, body: dict[str, Any]) -> None:
    errors = errors_of(api_client, body)

    messages = [message for field_messages in errors.values() for message in field_messages]
    assert messages
    assert [m for m in messages if API_NAMES.search(m)] == []


def test_a_setting_of_a_planned_run_sent_without_records_says_what_is_missing(api_client: APIClient) -> None:
    errors = errors_of(api_client, {"theme": "x", "industry": "y", "starts_at": ago(days=1), "deal_rate": 0.5})

    assert set(errors) == {"starts_at", "deal_rate"}
    # An API client meets this one (the form never sends it): it names the field to add.
    assert errors["deal_rate"] == ["Belongs to a planned run: set the number of records (total_records) as well."]


def test_the_preview_forecasts_the_deals_the_run_then_opens(api_client: APIClient) -> None:
    # A window shorter than the sales cycle: many funnels run out of time, so far fewer than
    # deal_rate of the contacts open a deal, as the issue saw (30% asked, 14% made).
    body = planned(
        total_records=150,
        scenario="b2c",
        deal_rate=0.6,
        win_rate=0.5,
        sales_cycle_days=20,
        starts_at=ago(days=15),
        ends_at=ago(hours=1),
    )

    forecast = api_client.post(f"{URL}preview/", body, format="json").json()["forecast"]
    created = api_client.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    run_until_idle()

    deals = Deal.objects.filter(simulation_id=created.json()["id"])
    made = (deals.count(), deals.filter(dealstage="closedwon").count(), deals.filter(dealstage="closedlost").count())
    assert (forecast["deals"], forecast["deals_won"], forecast["deals_lost"]) == made
    assert 0 < forecast["deals"] < 0.6 * 150 * 0.8


def test_a_long_window_lets_nearly_deal_rate_of_the_contacts_open_a_deal(api_client: APIClient) -> None:
    body = planned(
        total_records=5_000, deal_rate=0.3, sales_cycle_days=5, starts_at=ago(days=300), ends_at=ago(hours=1)
    )

    forecast = api_client.post(f"{URL}preview/", body, format="json").json()["forecast"]

    assert 0.27 * 5_000 <= forecast["deals"] <= 0.31 * 5_000
    assert forecast["deals_won"] + forecast["deals_lost"] <= forecast["deals"]


def test_a_huge_run_is_forecast_from_a_sample_close_to_the_exact_count(api_client: APIClient) -> None:
    total = 3 * FORECAST_SAMPLE
    body = planned(total_records=total, starts_at=ago(days=20), ends_at=ago(hours=1), seed=99)

    forecast = api_client.post(f"{URL}preview/", body, format="json").json()["forecast"]

    validated = Plan(
        total_records=total,
        starts_at=timezone.now() - timedelta(days=20),
        ends_at=timezone.now() - timedelta(hours=1),
        distribution="uniform",
        curve_weights=None,
        timezone="UTC",
        seed=99,
    )
    draws = funnel_draws(validated, CrmSettings(), plan_offsets(validated))
    exact = int(((draws.reaches >= 3) & (draws.deal_at < validated.window_us)).sum())
    assert forecast["deals"] == pytest.approx(exact, rel=0.03)


def test_the_original_schedule_and_a_run_without_deals_forecast_none(api_client: APIClient) -> None:
    for body in ({"theme": "x", "industry": "y"}, planned(deal_rate=0)):
        forecast = api_client.post(f"{URL}preview/", body, format="json").json()["forecast"]
        assert (forecast["deals"], forecast["deals_won"], forecast["deals_lost"]) == (0, 0, 0)
