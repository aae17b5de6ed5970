"""./run's start-up frame names the persona model actually used, or why there is none."""

import socket
from typing import Any

import pytest

from personas.health import persona_provider_summary, provider_status_forget
from standins.openai import OpenAIStandIn
from tests.conftest import STANDIN_API_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_checks() -> None:
    provider_status_forget()


def test_offline() -> None:
    assert persona_provider_summary() == "offline provider (set OPENAI_API_KEY for OpenAI)"


def test_auto_names_the_model_it_chose(openai_standin: OpenAIStandIn) -> None:
    openai_standin.serve_models(["gpt-4o-mini", "whisper-1"])
    assert persona_provider_summary() == "OpenAI, model gpt-4o-mini (OPENAI_MODEL=auto)"


def test_an_explicit_model_is_named_as_set(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.OPENAI_MODEL = "gpt-5-nano"
    assert persona_provider_summary() == "OpenAI, model gpt-5-nano"


def test_an_unreachable_openai_says_so_without_secrets(settings: Any) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.SIMCRM_PERSONA_PROVIDER = "openai"
    settings.OPENAI_API_KEY = STANDIN_API_KEY
    settings.OPENAI_BASE_URL = f"http://user:hunter2@127.0.0.1:{port}/v1"

    line = persona_provider_summary()

    assert line == f"OpenAI, model auto: unavailable. Could not connect to OpenAI at http://127.0.0.1:{port}/v1."
    assert "hunter2" not in line and STANDIN_API_KEY not in line
