"""What a model (or a user) writes reaches the logs as data: never as a format string, never as a line of its own."""

import logging
from typing import Any

import pytest
from rest_framework.test import APIClient

from jobs.models import JobStatus, ScheduledJob
from jobs.runner import scheduled_jobs_run_due
from personas.agent import generate_personas
from personas.errors import PersonaError
from standins.openai import OpenAIStandIn, StandInReply

FORGED = '\n2026-01-01 12:00:00,000 INFO jobs.runner: Job 1 completed\r\n=HYPERLINK("http://evil.example")'


def test_a_refusal_cannot_write_a_log_line_of_its_own(
    openai_standin: OpenAIStandIn, api_client: APIClient, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.SIMCRM_MAX_ATTEMPTS = 1
    caplog.set_level(logging.INFO)
    openai_standin.script([StandInReply.refusal(f"I can't.{FORGED}")])
    created = api_client.post("/api/simulations/", {"theme": "Rock band", "industry": "Music"}, format="json")
    assert created.status_code == 201

    scheduled_jobs_run_due()

    job = ScheduledJob.objects.filter(simulation_id=created.json()["id"]).order_by("scheduled_for", "id").first()
    assert job is not None and job.status == JobStatus.FAILED
    assert "the model refused: I can't." in job.last_error
    assert "\n" not in job.last_error and "\r" not in job.last_error
    logged = [record.getMessage() for record in caplog.records if "refused" in record.getMessage()]
    assert logged, caplog.text
    assert all("\n" not in line and "\r" not in line for line in logged)
    assert "Job 1 completed" in logged[0]  # kept as data, on the job's own line


def test_a_refusal_is_one_line_in_the_error(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.refusal(f"No.{FORGED}")])
    with pytest.raises(PersonaError) as raised:
        generate_personas(theme="Rock band", industry="Music", count=2, avoid_names=[])
    assert "the model refused: No. 2026-01-01" in str(raised.value)
    assert raised.value.retryable is True


def test_format_directives_in_text_are_logged_as_written(
    openai_standin: OpenAIStandIn, api_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    theme = "100% %(asctime)s %s %d {0}"
    caplog.set_level(logging.INFO)
    created = api_client.post("/api/simulations/", {"theme": theme, "industry": "Music"}, format="json")
    assert created.status_code == 201

    assert scheduled_jobs_run_due().completed == 1

    assert theme.casefold() in caplog.text.casefold()  # the pool's log line names its key, as written
