"""Planned simulations through the API: create, bad input, preview, the planner's bound, lifecycle, replay."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from jobs.models import JobStatus, ScheduledJob
from personas.models import CachedPersona
from personas.services import persona_pool_extend
from simulations.models import Contact, Simulation, SimulationStatus
from simulations.planner import FIRST_WINDOW, MAX_LIVE_JOBS, simulations_plan_due
from standins.openai import OpenAIStandIn
from tests.contract import SIMULATION_FIELDS
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"


def body(**overrides: Any) -> dict[str, Any]:
    # Contacts only (no companies, no funnel, no activities): these tests are about the schedule;
    # tests/simulations/test_crm.py and tests/activities/ cover the rest of the CRM.
    fields: dict[str, Any] = {
        "theme": "Space pirates",
        "industry": "Logistics",
        "total_records": 40,
        "seed": 424242,
        "scenario": "b2c",
        "deal_rate": 0,
        "activity_level": "none",
    }
    fields.update(overrides)
    return fields


def past_window(days: int = 3) -> dict[str, str]:
    now = timezone.now()
    return {"starts_at": (now - timedelta(days=days)).isoformat(), "ends_at": (now - timedelta(hours=1)).isoformat()}


def live_jobs(simulation_id: int) -> int:
    return ScheduledJob.objects.filter(
        simulation_id=simulation_id, status__in=[JobStatus.PENDING, JobStatus.PROCESSING]
    ).count()


def timeline(simulation_id: int) -> list[tuple[Any, ...]]:
    return list(
        Contact.objects.filter(simulation_id=simulation_id)
        .order_by("occurred_at", "id")
        .values_list("firstname", "lastname", "email", "jobtitle", "company", "phone", "city", "country", "occurred_at")
    )


def test_create_answers_the_planned_fields_and_plans_its_first_window(api_client: APIClient) -> None:
    response = api_client.post(URL, body(total_records=5_000, distribution="bell_curve"), format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert list(created) == SIMULATION_FIELDS
    assert (created["total_records"], created["distribution"], created["timezone"], created["seed"]) == (
        5_000,
        "bell_curve",
        "UTC",
        424242,
    )
    starts_at, ends_at = datetime.fromisoformat(created["starts_at"]), datetime.fromisoformat(created["ends_at"])
    assert ends_at - starts_at == timedelta(days=7)
    assert abs(starts_at - timezone.now()) < timedelta(seconds=30)
    jobs = ScheduledJob.objects.filter(simulation_id=created["id"]).order_by("scheduled_for", "id")
    assert jobs.count() == FIRST_WINDOW
    assert [job.payload["index"] for job in jobs[:3]] == [0, 1, 2]


def test_the_original_schedule_reads_null_planned_fields_but_has_a_seed(api_client: APIClient) -> None:
    created = api_client.post(URL, {"theme": "Classic", "industry": "Music"}, format="json").json()

    assert [created[field] for field in ("total_records", "starts_at", "ends_at", "distribution", "timezone")] == [
        None
    ] * 5
    assert isinstance(created["seed"], int)
    assert ScheduledJob.objects.filter(simulation_id=created["id"]).count() == 5


def far_past() -> str:
    return (timezone.now() - timedelta(days=367)).isoformat()


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"total_records": 0}, "total_records"),
    ({"total_records": 1_000_001}, "total_records"),
    ({"total_records": "40"}, "total_records"),
    ({"total_records": 4.5}, "total_records"),
    ({"total_records": True}, "total_records"),
    ({"starts_at": "yesterday"}, "starts_at"),
    ({"starts_at": 1700000000}, "starts_at"),
    ({"distribution": "zigzag"}, "distribution"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": 3}, "timezone"),
    ({"distribution": "custom"}, "curve_weights"),
    ({"distribution": "custom", "curve_weights": [1, -1]}, "curve_weights"),
    ({"distribution": "custom", "curve_weights": [0, 0, 0]}, "curve_weights"),
    ({"distribution": "custom", "curve_weights": [1]}, "curve_weights"),
    ({"distribution": "custom", "curve_weights": [1] * 1001}, "curve_weights"),
    ({"distribution": "custom", "curve_weights": [1, "2"]}, "curve_weights"),
    ({"curve_weights": [1, 2]}, "curve_weights"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**63}, "seed"),
    ({"seed": "7"}, "seed"),
    ({"record_frequency": "1h"}, "record_frequency"),
]


@pytest.mark.parametrize(
    ("overrides", "field"), BAD_INPUT, ids=[f"{field}-{i}" for i, (_, field) in enumerate(BAD_INPUT)]
)
def test_bad_planned_input_answers_400_naming_the_field_and_creates_nothing(
    api_client: APIClient, overrides: dict[str, Any], field: str
) -> None:
    for path in (URL, f"{URL}preview/"):
        response = api_client.post(path, body(**overrides), format="json")

        assert response.status_code == 400, (path, response.content)
        assert field in response.json(), response.json()
    assert not Simulation.objects.exists() and not ScheduledJob.objects.exists()


def test_window_limits_answer_400(api_client: APIClient) -> None:
    now = timezone.now()
    cases = [
        ({"starts_at": far_past()}, "starts_at"),
        ({"starts_at": now.isoformat(), "ends_at": (now - timedelta(seconds=1)).isoformat()}, "ends_at"),
        ({"starts_at": now.isoformat(), "ends_at": (now + timedelta(days=367)).isoformat()}, "ends_at"),
        (
            {
                "distribution": "business_hours",
                "starts_at": "2031-03-08T00:00:00Z",  # a Saturday and Sunday only
                "ends_at": "2031-03-09T20:00:00Z",
            },
            "distribution",
        ),
    ]
    for overrides, field in cases:
        response = api_client.post(URL, body(**overrides), format="json")
        assert response.status_code == 400 and field in response.json(), (overrides, response.content)
    assert not Simulation.objects.exists()


@pytest.mark.parametrize("field", ["starts_at", "distribution", "seed"])
def test_planned_fields_without_total_records_answer_400(api_client: APIClient, field: str) -> None:
    value = {"starts_at": timezone.now().isoformat(), "distribution": "uniform", "seed": 1}[field]

    response = api_client.post(URL, {"theme": "x", "industry": "y", field: value}, format="json")

    assert response.status_code == 400 and "total_records" in response.json()[field][0]


def test_preview_shows_what_create_then_schedules(api_client: APIClient) -> None:
    settings = body(total_records=2_345, distribution="weekend_surge", timezone="America/New_York", **past_window(10))

    preview = api_client.post(f"{URL}preview/", settings, format="json")
    assert not Simulation.objects.exists()
    created = api_client.post(URL, settings, format="json").json()

    assert preview.status_code == 200, preview.content
    schedule = preview.json()["schedule"]
    assert schedule["total_records"] == 2_345 and sum(bucket["count"] for bucket in schedule["buckets"]) == 2_345
    assert schedule["buckets"][0]["start"] == schedule["starts_at"] == created["starts_at"]
    jobs = ScheduledJob.objects.filter(simulation_id=created["id"]).order_by("scheduled_for", "id")
    first = [datetime.fromisoformat(instant) for instant in schedule["first"]]
    assert first == [job.scheduled_for for job in jobs[:20]]
    assert preview.json()["forecast"] == {
        "provider": "offline",
        "model": None,
        "persona_calls": 0,
        "activity_text_calls": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0.0,
        "hubspot_requests": 0,
        "hubspot_seconds": 0.0,
        "crm_day_use": None,
        "crm_warning": "",
        "deals": 0,  # body() asks for no deals
        "deals_won": 0,
        "deals_lost": 0,
        "activities": 0,  # body() asks for none
    }


def test_a_simulation_shows_its_own_schedule_however_old_its_window(api_client: APIClient) -> None:
    settings = body(total_records=500, distribution="back_loaded", **past_window(10))
    preview = api_client.post(f"{URL}preview/", settings, format="json").json()["schedule"]
    created = api_client.post(URL, settings, format="json").json()
    Simulation.objects.filter(pk=created["id"]).update(
        starts_at=F("starts_at") - timedelta(days=400), ends_at=F("ends_at") - timedelta(days=400)
    )  # as a replay of an old run keeps its window
    api_client.post(f"{URL}{created['id']}/cancel/")

    own = api_client.get(f"{URL}{created['id']}/schedule/")

    assert own.status_code == 200, own.content
    schedule = own.json()
    # The same instants, 400 days earlier (the buckets are days of its zone, the preview's equal slices).
    assert schedule["unit"] == "day"
    assert sum(bucket["count"] for bucket in schedule["buckets"]) == 500
    shift = datetime.fromisoformat(preview["starts_at"]) - datetime.fromisoformat(schedule["starts_at"])
    assert shift == timedelta(days=400)
    assert [datetime.fromisoformat(at) + shift for at in schedule["first"]] == [
        datetime.fromisoformat(at) for at in preview["first"]
    ]
    classic = api_client.post(URL, {"theme": "x", "industry": "y", "record_frequency": "1day"}, format="json")
    classic_schedule = api_client.get(f"{URL}{classic.json()['id']}/schedule/").json()
    assert [bucket["count"] for bucket in classic_schedule["buckets"]] == [1] * 5
    assert classic_schedule["unit"] is None


def test_preview_of_the_original_schedule(api_client: APIClient) -> None:
    preview = api_client.post(
        f"{URL}preview/", {"theme": "x", "industry": "y", "record_frequency": "1h"}, format="json"
    )

    schedule = preview.json()["schedule"]
    assert [bucket["count"] for bucket in schedule["buckets"]] == [1] * 5
    first = [datetime.fromisoformat(instant) for instant in schedule["first"]]
    assert [(at - first[0]).total_seconds() / 60 for at in first] == [0, 3, 6, 9, 12]


def test_the_forecast_counts_what_is_already_cached(api_client: APIClient, openai_standin: OpenAIStandIn) -> None:
    settings = body(total_records=120)
    cold = api_client.post(f"{URL}preview/", settings, format="json").json()["forecast"]
    pool = CachedPersona.objects.create(
        theme="Space pirates",
        industry="Logistics",
        cache_key="space pirates\nlogistics",
        source="openai",
        generation_calls=2,
        prompt_tokens=2_000,
        completion_tokens=3_000,
    )
    persona_pool_extend(pool=pool, entries=[{"email": f"p{i}@x.example"} for i in range(70)])
    warm = api_client.post(f"{URL}preview/", settings, format="json").json()["forecast"]

    assert (cold["provider"], cold["persona_calls"]) == ("openai", 5)  # 120 / 25, rounded up
    assert cold["cost_usd"] > 0
    assert (warm["persona_calls"], warm["prompt_tokens"], warm["completion_tokens"]) == (2, 2_000, 3_000)
    assert openai_standin.requests == []  # a forecast never calls the provider


def test_a_million_records_never_keep_more_than_ten_thousand_live_jobs(api_client: APIClient) -> None:
    response = api_client.post(URL, body(total_records=1_000_000, **past_window(30)), format="json")
    simulation_id = response.json()["id"]

    assert response.status_code == 201
    assert live_jobs(simulation_id) == FIRST_WINDOW
    simulations_plan_due()
    assert live_jobs(simulation_id) == MAX_LIVE_JOBS
    simulations_plan_due()  # nothing finished: nothing more is planned
    assert live_jobs(simulation_id) == MAX_LIVE_JOBS
    ScheduledJob.objects.filter(simulation_id=simulation_id, payload__index__lt=6_000).update(
        status=JobStatus.COMPLETED
    )
    simulations_plan_due()
    assert live_jobs(simulation_id) == MAX_LIVE_JOBS
    assert Simulation.objects.get(pk=simulation_id).planned_records == 16_000
    indexes = sorted(ScheduledJob.objects.filter(simulation_id=simulation_id).values_list("payload__index", flat=True))
    assert indexes == list(range(16_000))


def test_pause_resume_and_cancel_hold_across_the_planning_boundary(api_client: APIClient, user: User) -> None:
    created = api_client.post(URL, body(total_records=FIRST_WINDOW + 300, **past_window()), format="json").json()
    simulation_id = created["id"]
    assert api_client.post(f"{URL}{simulation_id}/pause/").status_code == 200

    assert simulations_plan_due() == 0
    run_until_idle()
    assert Contact.objects.filter(simulation_id=simulation_id).count() == 0
    assert api_client.post(f"{URL}{simulation_id}/resume/").json()["status"] == "running"
    run_until_idle()
    assert Contact.objects.filter(simulation_id=simulation_id).count() == FIRST_WINDOW + 300
    assert Simulation.objects.get(pk=simulation_id).status == SimulationStatus.COMPLETED

    other = api_client.post(URL, body(total_records=FIRST_WINDOW + 300, **past_window()), format="json").json()
    cancelled = api_client.post(f"{URL}{other['id']}/cancel/").json()
    assert cancelled["status"] == "cancelled" and cancelled["job_counts"]["cancelled"] == FIRST_WINDOW
    assert simulations_plan_due() == 0
    run_until_idle()
    assert Contact.objects.filter(simulation_id=other["id"]).count() == 0
    assert Simulation.objects.get(pk=other["id"]).planned_records == FIRST_WINDOW


def test_a_planned_simulation_completes_only_when_nothing_is_left_to_plan(api_client: APIClient) -> None:
    created = api_client.post(URL, body(total_records=FIRST_WINDOW + 10, **past_window()), format="json").json()
    ScheduledJob.objects.filter(simulation_id=created["id"]).update(status=JobStatus.COMPLETED)

    from simulations.lifecycle import simulations_complete_finished

    simulations_complete_finished(simulation_ids={created["id"]})
    assert Simulation.objects.get(pk=created["id"]).status == SimulationStatus.RUNNING


def test_a_backfill_gives_each_contact_its_instant_in_the_timeline(api_client: APIClient) -> None:
    created = api_client.post(URL, body(total_records=60, **past_window()), format="json").json()
    instants = list(
        ScheduledJob.objects.filter(simulation_id=created["id"])
        .order_by("scheduled_for")
        .values_list("scheduled_for", flat=True)
    )

    run_until_idle()

    contacts = timeline(created["id"])
    assert len(contacts) == 60 and len({row[2] for row in contacts}) == 60
    assert [row[-1] for row in contacts] == instants
    assert all(row[-1] < timezone.now() for row in contacts)
    listed = api_client.get(f"{URL}{created['id']}/contacts/", {"page_size": 100}).json()["results"]
    assert [datetime.fromisoformat(row["occurred_at"]) for row in listed] == instants


def test_a_replay_makes_the_same_contacts_at_the_same_instants_offline(api_client: APIClient) -> None:
    original = api_client.post(URL, body(total_records=80, distribution="front_loaded", **past_window()), format="json")
    run_until_idle()

    replay = api_client.post(f"{URL}{original.json()['id']}/replay/")
    assert replay.status_code == 201, replay.content
    replayed = replay.json()
    for field in ("theme", "industry", "total_records", "starts_at", "ends_at", "distribution", "timezone", "seed"):
        assert replayed[field] == original.json()[field], field
    run_until_idle()

    assert timeline(replayed["id"]) == timeline(original.json()["id"])
    assert len(timeline(replayed["id"])) == 80
    another_seed = api_client.post(URL, body(total_records=80, seed=1, **past_window()), format="json").json()
    run_until_idle()
    assert timeline(another_seed["id"]) != timeline(original.json()["id"])


def test_a_replay_with_a_cached_openai_pool_makes_the_same_contacts(
    api_client: APIClient, openai_standin: OpenAIStandIn
) -> None:
    original = api_client.post(URL, body(total_records=60, **past_window()), format="json").json()
    run_until_idle()
    calls = len(openai_standin.requests)

    replayed = api_client.post(f"{URL}{original['id']}/replay/").json()
    run_until_idle()

    assert calls == 3  # 60 records from pools of 25
    assert len(openai_standin.requests) == calls  # the replay read the cached pool
    assert timeline(replayed["id"]) == timeline(original["id"])
    assert {row[0] for row in timeline(original["id"])} and Contact.objects.filter(source="openai").count() == 120


def test_the_original_schedule_cannot_be_replayed(api_client: APIClient) -> None:
    created = api_client.post(URL, {"theme": "Classic", "industry": "Music"}, format="json").json()

    response = api_client.post(f"{URL}{created['id']}/replay/")

    assert response.status_code == 409 and "total_records" in response.json()["detail"]
    assert Simulation.objects.count() == 1


def test_a_replay_of_another_users_simulation_is_not_found(other_client: APIClient, api_client: APIClient) -> None:
    created = api_client.post(URL, body(), format="json").json()

    assert other_client.post(f"{URL}{created['id']}/replay/").status_code == 404
    assert Simulation.objects.count() == 1


def test_the_service_draws_the_seed_a_create_left_out_and_the_serializer_draws_none(
    api_client: APIClient, user: User
) -> None:
    from simulations.api.serializers import SimulationCreateSerializer
    from simulations.models import MAX_SEED

    asked = body(**past_window())
    del asked["seed"]
    validated = SimulationCreateSerializer(data=asked)
    assert validated.is_valid(), validated.errors
    assert validated.validated_data["plan"].seed is None  # validated, not decided
    seeds = {api_client.post(URL, asked, format="json").json()["seed"] for _ in range(3)}
    assert len(seeds) == 3 and all(0 <= seed <= MAX_SEED for seed in seeds)
    given = api_client.post(URL, {**asked, "seed": 31337}, format="json").json()
    assert given["seed"] == 31337
