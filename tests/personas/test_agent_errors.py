"""How every OpenAI failure maps to a PersonaError: retryable or not, readable, never holding the key."""

import logging
import socket
from typing import Any

import pytest

from core.redaction import redact_secrets
from personas.agent import generate_personas
from personas.errors import PersonaError
from standins.openai import OpenAIStandIn, StandInReply
from tests.conftest import STANDIN_API_KEY


def _fail() -> PersonaError:
    with pytest.raises(PersonaError) as raised:
        generate_personas(theme="Space pirates", industry="Logistics", count=3, avoid_names=[])
    return raised.value


def test_401_names_the_setting_and_hides_the_key(
    openai_standin: OpenAIStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    openai_standin.script(
        [StandInReply.error(401, code="invalid_api_key", message=f"Incorrect API key provided: {STANDIN_API_KEY}.")]
    )
    error = _fail()
    assert error.retryable is False
    assert error.status_code == 401
    assert "OPENAI_API_KEY" in str(error)
    assert STANDIN_API_KEY not in str(error) and STANDIN_API_KEY not in repr(error)
    assert "sk-" not in str(error)
    assert STANDIN_API_KEY not in caplog.text
    assert error.__cause__ is None and error.__suppress_context__


def test_401_from_a_wrong_key_hides_the_partial_key_openai_echoes(
    openai_standin: OpenAIStandIn, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.OPENAI_API_KEY = "sk-proj-WrongKey_abc-123456789xyz"
    error = _fail()  # the stand-in answers like OpenAI: "Incorrect API key provided: sk-pro***9xyz"
    assert error.retryable is False
    assert "sk-" not in str(error)
    assert "9xyz" not in str(error)
    assert "sk-pro" not in caplog.text and "WrongKey" not in caplog.text


def test_404_model_not_found_names_the_model(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.OPENAI_MODEL = "gpt-does-not-exist"
    openai_standin.fail_model("gpt-does-not-exist")
    error = _fail()
    assert error.retryable is False
    assert error.code == "model_not_found"
    assert "OPENAI_MODEL" in str(error)
    assert "gpt-does-not-exist" in str(error)


def test_404_without_model_code_points_at_the_base_url(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.error(404, code="unknown_url", message="Unknown request URL")])
    error = _fail()
    assert error.retryable is False
    assert "OPENAI_BASE_URL" in str(error)


def test_400_says_what_the_api_said(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script(
        [StandInReply.error(400, code="invalid_json_schema", message="Invalid schema: 'count' is not permitted.")]
    )
    error = _fail()
    assert error.retryable is False
    assert "Invalid schema: 'count' is not permitted." in str(error)


def test_403_is_permanent(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.error(403, code="unsupported_country_region_territory")])
    error = _fail()
    assert error.retryable is False
    assert "403" in str(error) and "region" in str(error)


def test_429_is_retryable_with_retry_after_from_the_ms_header(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.rate_limited(retry_after_ms=250, retry_after=3)])
    error = _fail()
    assert error.retryable is True
    assert error.retry_after == pytest.approx(0.25)


def test_429_falls_back_to_retry_after_seconds(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.rate_limited(retry_after_ms=None, retry_after=2)])
    error = _fail()
    assert error.retryable is True
    assert error.retry_after == pytest.approx(2.0)


def test_429_insufficient_quota_is_not_worth_retrying(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.error(429, code="insufficient_quota", message="You exceeded your quota.")])
    error = _fail()
    assert error.retryable is False
    assert "quota" in str(error)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retryable(openai_standin: OpenAIStandIn, status: int) -> None:
    openai_standin.script([StandInReply.server_error(status)])
    error = _fail()
    assert error.retryable is True
    assert str(status) in str(error)


def test_timeout_is_retryable(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.OPENAI_TIMEOUT_SECONDS = 0.3
    openai_standin.script([StandInReply.hang()])
    error = _fail()
    assert error.retryable is True
    assert error.code == "timeout"
    assert "OPENAI_TIMEOUT_SECONDS" in str(error)
    assert len(openai_standin.requests) == 1  # no SDK retry
    openai_standin.release()


def test_connection_refused_is_retryable(settings: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OPENAI_API_KEY = STANDIN_API_KEY
    settings.OPENAI_BASE_URL = f"http://user:pw@127.0.0.1:{port}/v1"
    error = _fail()
    assert error.retryable is True
    assert error.code == "connection_error"
    assert f"127.0.0.1:{port}" in str(error)
    assert "pw" not in str(error)


def test_redact_secrets(settings: Any) -> None:
    settings.OPENAI_API_KEY = "custom-key-without-prefix"
    text = "keys: sk-abc***xyz, sk-proj-A_b-9, custom-key-without-prefix"
    assert redact_secrets(text) == "keys: [redacted], [redacted], [redacted]"
    assert "custom-key" not in str(PersonaError(text, retryable=False))
