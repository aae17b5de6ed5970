"""Jobs end to end through the API, with personas from the OpenAI stand-in over real HTTP."""

import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from jobs.models import JobStatus, ScheduledJob
from jobs.runner import scheduled_jobs_run_due
from personas.models import CachedPersona
from simulations.models import Contact
from standins.openai import OpenAIStandIn, StandInReply
from tests.conftest import STANDIN_API_KEY

pytestmark = pytest.mark.django_db


def _create(client: APIClient, theme: str = "Rock band", industry: str = "Music", **extra: str) -> dict[str, Any]:
    response = client.post("/api/simulations/", {"theme": theme, "industry": industry, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _first_job(simulation: dict[str, Any]) -> ScheduledJob:
    return ScheduledJob.objects.filter(simulation_id=simulation["id"]).order_by("scheduled_for", "id").first()  # type: ignore[return-value]


def _assert_no_key_anywhere(caplog: pytest.LogCaptureFixture, client: APIClient, simulation: dict[str, Any]) -> None:
    assert STANDIN_API_KEY not in caplog.text
    for job in ScheduledJob.objects.all():
        assert STANDIN_API_KEY not in f"{job.result} {job.last_error} {job.payload}"
    answers = client.get(f"/api/simulations/{simulation['id']}/jobs/").content.decode()
    assert STANDIN_API_KEY not in answers
    assert "sk-" not in answers


def test_contacts_come_from_openai_and_a_warm_key_costs_no_call(
    api_client: APIClient, openai_standin: OpenAIStandIn
) -> None:
    first = _create(api_client)
    assert scheduled_jobs_run_due().completed == 1
    assert len(openai_standin.requests) == 1

    contacts = api_client.get(f"/api/simulations/{first['id']}/contacts/").json()["results"]
    assert [contact["source"] for contact in contacts] == ["openai"]
    job = api_client.get(f"/api/jobs/{_first_job(first).pk}/").json()
    assert job["status"] == "completed"
    assert job["result"]["simulated"] is True
    assert job["result"]["contact"]["email"] == contacts[0]["email"]

    # Same key written differently, in a new simulation: served from the cache.
    second = _create(api_client, theme="  rock   BAND ", industry="MUSIC")
    assert scheduled_jobs_run_due().completed == 1
    assert len(openai_standin.requests) == 1
    pool = CachedPersona.objects.get()
    assert (pool.misses, pool.hits) == (1, 1)
    assert Contact.objects.get(simulation_id=second["id"]).source == "openai"


def test_a_simulation_larger_than_the_pool_stays_distinct(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 2
    simulation = _create(api_client)
    with time_machine.travel(timezone.now() + timedelta(minutes=13), tick=False):
        assert scheduled_jobs_run_due().completed == 5

    contacts = Contact.objects.filter(simulation_id=simulation["id"])
    assert len({contact.email for contact in contacts}) == 5
    assert len({(contact.firstname, contact.lastname) for contact in contacts}) == 5
    assert len(openai_standin.requests) == 3  # pools of 2: 2 + 2 + 2 for 5 contacts
    assert openai_standin.requests[-1].user_json["avoid_names"], "an extension must name the existing personas"


@pytest.mark.parametrize(
    ("reply", "what_to_change"),
    [
        (
            StandInReply.error(401, code="invalid_api_key", message=f"Incorrect API key provided: {STANDIN_API_KEY}"),
            "OPENAI_API_KEY",
        ),
        (StandInReply.error(404, code="model_not_found", message="The model does not exist"), "OPENAI_MODEL"),
        (StandInReply.error(403, code="unsupported_country_region_territory"), ""),
        (StandInReply.error(400, code="invalid_request_error", message="Bad response_format"), "Bad response_format"),
    ],
)
def test_key_and_model_errors_fail_at_once_and_say_what_to_change(
    api_client: APIClient,
    openai_standin: OpenAIStandIn,
    caplog: pytest.LogCaptureFixture,
    reply: StandInReply,
    what_to_change: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    openai_standin.script([reply])
    simulation = _create(api_client)

    assert scheduled_jobs_run_due().failed == 1
    job = _first_job(simulation)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 1
    assert what_to_change in job.last_error
    assert len(openai_standin.requests) == 1
    assert not Contact.objects.exists()
    _assert_no_key_anywhere(caplog, api_client, simulation)


def test_rate_limit_is_retried_after_the_servers_delay(api_client: APIClient, openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.rate_limited(retry_after_ms=30_000)])
    simulation = _create(api_client)
    before = timezone.now()

    assert scheduled_jobs_run_due().retried == 1
    job = _first_job(simulation)
    assert job.status == JobStatus.PENDING
    assert job.attempts == 1
    assert job.scheduled_for >= before + timedelta(seconds=30)
    assert "Attempt 1 of 3 failed" in job.last_error

    with time_machine.travel(job.scheduled_for + timedelta(seconds=1), tick=False):
        assert scheduled_jobs_run_due().completed >= 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == (JobStatus.COMPLETED, 2, "")


@pytest.mark.parametrize(
    "reply",
    [StandInReply.server_error(500), StandInReply.malformed("not json at all"), StandInReply.wrong_shape({"x": 1})],
    ids=["500", "malformed", "wrong-shape"],
)
def test_transient_errors_use_every_attempt_then_fail(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any, reply: StandInReply
) -> None:
    settings.SIMCRM_MAX_ATTEMPTS = 3
    openai_standin.script([reply, reply, reply])
    simulation = _create(api_client)

    summary = scheduled_jobs_run_due()  # backoff is 0 in tests, so all attempts run in one pass

    assert (summary.retried, summary.failed) == (2, 1)
    job = _first_job(simulation)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 3
    # The last failure says what happened and promises nothing.
    assert job.last_error.endswith(
        "Failed on all 3 attempts, so it is not retried again; retry it once the cause is fixed."
    )
    assert "will retry" not in job.last_error and "Retrying" not in job.last_error
    assert len(openai_standin.requests) == 3
    assert not Contact.objects.exists()


def test_failed_job_retried_through_the_api_then_completes(
    api_client: APIClient, openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script([StandInReply.error(401, code="invalid_api_key")])
    simulation = _create(api_client)
    scheduled_jobs_run_due()
    job = _first_job(simulation)

    response = api_client.post(f"/api/jobs/{job.pk}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert scheduled_jobs_run_due().completed == 1
    assert Contact.objects.filter(job=job).count() == 1


def test_a_job_failing_after_its_simulation_was_cancelled_is_not_retried(
    api_client: APIClient, openai_standin: OpenAIStandIn
) -> None:
    from jobs.runner import scheduled_job_run, scheduled_jobs_claim_due

    openai_standin.script([StandInReply.server_error(503)])
    simulation = _create(api_client)
    claim, [job_id] = scheduled_jobs_claim_due()
    assert api_client.post(f"/api/simulations/{simulation['id']}/cancel/").status_code == 200

    assert scheduled_job_run(job_id=job_id, claim=claim) == "skipped"
    job = ScheduledJob.objects.get(pk=job_id)
    assert job.status == JobStatus.CANCELLED
    assert "simulation was cancelled" in job.last_error


# --- the model: OPENAI_MODEL=auto chooses, everything names the model actually used -------------------


def _preview_forecast(client: APIClient) -> dict[str, Any]:
    body = {"theme": "Rock band", "industry": "Music", "record_frequency": "1h"}
    response = client.post("/api/simulations/preview/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["forecast"]  # type: ignore[no-any-return]


def test_auto_takes_a_reasoning_model_and_the_job_status_and_forecast_name_it(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    openai_standin.serve_models(["gpt-4.1-mini", "gpt-5-nano"])  # of the preference, only a reasoning model

    forecast = _preview_forecast(api_client)
    first = _create(api_client)
    assert scheduled_jobs_run_due().completed == 1
    second = _create(api_client, theme="ROCK band")
    assert scheduled_jobs_run_due().completed == 1  # from the cache

    assert (forecast["model"], forecast["persona_calls"]) == ("gpt-5-nano", 1)
    prices = settings.SIMCRM_MODEL_PRICES["gpt-5-nano"]
    expected = (forecast["prompt_tokens"] * prices[0] + forecast["completion_tokens"] * prices[1]) / 1e6
    assert forecast["cost_usd"] == pytest.approx(expected, abs=1e-6)
    results = [api_client.get(f"/api/jobs/{_first_job(sim).pk}/").json()["result"] for sim in (first, second)]
    assert [(r["model"], r["persona_cached"]) for r in results] == [("gpt-5-nano", False), ("gpt-5-nano", True)]
    [request] = openai_standin.requests  # the stand-in refuses a shape gpt-5-nano does not take
    assert (request.model, request.status, request.body["reasoning_effort"]) == ("gpt-5-nano", 200, "minimal")
    assert api_client.get("/api/status/").json()["persona_provider"]["model"] == "gpt-5-nano"
    assert CachedPersona.objects.get().model == "gpt-5-nano"
    assert len(openai_standin.model_requests) == 1  # forecast, jobs and status share one list a minute


def test_with_no_preferred_model_served_a_job_fails_at_once_saying_what_the_key_can_use(
    api_client: APIClient, openai_standin: OpenAIStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    openai_standin.serve_models(["gpt-4.1-mini", "gpt-4o"])
    simulation = _create(api_client)

    assert scheduled_jobs_run_due().failed == 1
    job = _first_job(simulation)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert "SIMCRM_MODEL_PREFERENCE" in job.last_error and "OPENAI_MODEL" in job.last_error
    assert "The key can use: gpt-4.1-mini, gpt-4o." in job.last_error
    assert openai_standin.requests == []
    status = api_client.get("/api/status/").json()["persona_provider"]
    assert (status["status"], status["model"]) == ("unavailable", None)
    assert "gpt-4.1-mini, gpt-4o" in status["detail"]
    forecast = _preview_forecast(api_client)  # a preview still answers, without a model to price
    assert (forecast["model"], forecast["cost_usd"]) == (None, None)
    _assert_no_key_anywhere(caplog, api_client, simulation)


def test_an_explicit_model_wins_and_is_named_everywhere(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.OPENAI_MODEL = "gpt-4o-mini"  # served, as is gpt-6-luna, first of the preference
    simulation = _create(api_client)

    assert scheduled_jobs_run_due().completed == 1
    assert (_first_job(simulation).result or {})["model"] == "gpt-4o-mini"
    assert [request.model for request in openai_standin.requests] == ["gpt-4o-mini"]
    assert _preview_forecast(api_client)["model"] == "gpt-4o-mini"
    assert api_client.get("/api/status/").json()["persona_provider"]["model"] == "gpt-4o-mini"


def test_an_explicit_model_openai_does_not_serve_fails_naming_openai_model(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.OPENAI_MODEL = "gpt-4.1-nano-2025-04-14"  # retired: the stand-in does not serve it
    simulation = _create(api_client)

    assert scheduled_jobs_run_due().failed == 1
    job = _first_job(simulation)
    assert "OPENAI_MODEL" in job.last_error and "gpt-4.1-nano-2025-04-14" in job.last_error
    status = api_client.get("/api/status/").json()["persona_provider"]
    assert (status["status"], status["model"]) == ("unavailable", "gpt-4.1-nano-2025-04-14")
