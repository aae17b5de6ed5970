"""GET /api/status/: whether a worker runs and whether the persona provider works, and what to do if not."""

import socket
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from jobs import heartbeat
from jobs.models import WorkerHeartbeat
from personas.health import provider_status_forget
from standins.openai import OpenAIStandIn
from tests.conftest import STANDIN_API_KEY
from tests.processes import process_env, running, wait_for

pytestmark = pytest.mark.django_db

URL = "/api/status/"


@pytest.fixture(autouse=True)
def fresh_checks() -> None:
    provider_status_forget()
    heartbeat._last_beat = 0.0


def test_without_a_worker_the_status_says_what_to_run(api_client: APIClient) -> None:
    status = api_client.get(URL).json()

    assert status["worker"]["alive"] is False and status["worker"]["last_seen_at"] is None
    assert "python manage.py qcluster" in status["worker"]["detail"]
    assert status["persona_provider"] == {
        "provider": "offline",
        "model": None,
        "status": "ok",
        "detail": "Offline personas: no network needed.",
        "problem": None,
    }


def test_a_heartbeat_makes_the_worker_alive_and_an_old_one_does_not(api_client: APIClient) -> None:
    from datetime import timedelta

    from django.utils import timezone

    heartbeat.worker_heartbeat()
    assert api_client.get(URL).json()["worker"]["alive"] is True
    WorkerHeartbeat.objects.update(last_seen_at=timezone.now() - timedelta(seconds=11))
    assert api_client.get(URL).json()["worker"]["alive"] is False


def test_anonymous_callers_are_refused(anon_client: APIClient) -> None:
    assert anon_client.get(URL).status_code == 401


def test_openai_accepting_the_key_and_serving_a_preferred_model_is_ok_and_checked_once_a_minute(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    assert settings.OPENAI_MODEL == "auto"  # the default
    first = api_client.get(URL).json()["persona_provider"]
    api_client.get(URL)

    # The model actually used: the first of the preference the stand-in serves, never "auto".
    assert (first["provider"], first["model"], first["status"]) == ("openai", "gpt-6-luna", "ok")
    assert "gpt-6-luna" in first["detail"] and "SIMCRM_MODEL_PREFERENCE" in first["detail"]
    assert [r.path for r in openai_standin.model_requests] == ["/v1/models"]
    assert openai_standin.requests == []  # no completion asked for


def test_an_explicit_model_is_checked_by_name_and_wins(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.OPENAI_MODEL = "gpt-4o-mini"
    provider = api_client.get(URL).json()["persona_provider"]

    assert (provider["model"], provider["status"]) == ("gpt-4o-mini", "ok")
    assert [r.path for r in openai_standin.model_requests] == ["/v1/models/gpt-4o-mini"]


def test_a_key_that_serves_no_preferred_model_is_unavailable_and_says_what_it_can_use(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    served = ["gpt-4.1-mini", "text-embedding-3-small", "whisper-1", *(f"gpt-custom-{n:02d}" for n in range(30))]
    openai_standin.serve_models(served)
    answer = api_client.get(URL)
    provider = answer.json()["persona_provider"]

    assert (provider["model"], provider["status"], provider["problem"]) == (None, "unavailable", "model")
    detail = provider["detail"]
    assert "SIMCRM_MODEL_PREFERENCE" in detail and "OPENAI_MODEL" in detail
    assert "gpt-4.1-mini" in detail and "gpt-custom-00" in detail
    # A long list is cut: chat models first, the rest counted.
    assert "whisper-1" not in detail and "and 21 more" in detail
    assert STANDIN_API_KEY not in answer.content.decode()


def test_a_refused_key_is_unavailable_and_never_shown(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.OPENAI_API_KEY = "sk-wrong-key-0000111122223333"
    answer = api_client.get(URL)
    provider = answer.json()["persona_provider"]

    assert provider["status"] == "unavailable" and "OPENAI_API_KEY" in provider["detail"]
    assert provider["problem"] == "key"
    assert "sk-wrong" not in answer.content.decode() and STANDIN_API_KEY not in answer.content.decode()


def test_a_model_openai_does_not_serve_is_unavailable_and_says_what_to_set(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.OPENAI_MODEL = "gpt-retired-1999"
    openai_standin.fail_model("gpt-retired-1999")
    provider = api_client.get(URL).json()["persona_provider"]

    assert provider["status"] == "unavailable" and provider["model"] == "gpt-retired-1999"
    assert provider["problem"] == "model"
    assert "OPENAI_MODEL" in provider["detail"] and "gpt-retired-1999" in provider["detail"]


def test_an_unreachable_openai_says_so_with_its_address_and_no_secret(api_client: APIClient, settings: Any) -> None:
    with socket.socket() as closed:  # a local port nothing listens on once this socket is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.SIMCRM_PERSONA_PROVIDER = "openai"
    settings.OPENAI_API_KEY = STANDIN_API_KEY
    settings.OPENAI_BASE_URL = f"http://proxyuser:hunter2-secret@127.0.0.1:{port}/v1?token=hunter3"
    answer = api_client.get(URL)
    provider = answer.json()["persona_provider"]

    assert (provider["status"], provider["problem"]) == ("unavailable", "unreachable")
    assert f"Could not connect to OpenAI at http://127.0.0.1:{port}/v1." in provider["detail"]
    assert "OPENAI_BASE_URL" in provider["detail"]
    # Not a key or a model problem, and nothing secret in the answer.
    assert "OPENAI_MODEL" not in provider["detail"]
    for secret in ("hunter2", "hunter3", "proxyuser", STANDIN_API_KEY):
        assert secret not in answer.content.decode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_running_qcluster_is_alive(tmp_path: Path, client_for: Any) -> None:
    from tests.factories import UserFactory

    client = client_for(UserFactory.create())
    assert client.get(URL).json()["worker"]["alive"] is False
    with running(["qcluster"], env=process_env(), log=tmp_path / "qcluster.log"):
        wait_for(lambda: client.get(URL).json()["worker"]["alive"], timeout=30, what="the worker to be alive")
