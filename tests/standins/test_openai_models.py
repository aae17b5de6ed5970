"""The OpenAI stand-in's models: what it lists, and the request shapes it refuses the way OpenAI does."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from standins.openai import DEFAULT_MODELS, OpenAIStandIn

KEY = "sk-test-standin-models-0123456789"


@pytest.fixture
def standin() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn(api_key=KEY, models=["gpt-5-nano", "o4-mini", "gpt-4o-mini"]) as standin:
        yield standin


def _call(standin: OpenAIStandIn, path: str, body: Any = None, key: str = KEY) -> tuple[int, Any]:
    request = urllib.request.Request(
        standin.base_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _chat(standin: OpenAIStandIn, model: str, **extra: Any) -> tuple[int, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": "{}"}], **extra}
    return _call(standin, "/chat/completions", body)


def _refusal(param: str, message: str, code: str = "unsupported_parameter") -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def test_it_lists_the_models_it_serves_in_openais_format(standin: OpenAIStandIn) -> None:
    status, listed = _call(standin, "/models")

    assert status == 200 and listed["object"] == "list"
    assert [model["id"] for model in listed["data"]] == ["gpt-5-nano", "o4-mini", "gpt-4o-mini"]
    assert all(set(model) == {"id", "object", "created", "owned_by"} for model in listed["data"])
    assert all(model["object"] == "model" for model in listed["data"])
    assert _call(standin, "/models", key="sk-wrong")[0] == 401
    assert _call(standin, "/models/gpt-5-nano")[1]["id"] == "gpt-5-nano"
    assert [request.path for request in standin.model_requests] == ["/v1/models"] * 2 + ["/v1/models/gpt-5-nano"]
    assert standin.requests == []


def test_a_model_it_does_not_serve_is_not_found(standin: OpenAIStandIn) -> None:
    standin.fail_model("o4-mini")

    for status, body in (_chat(standin, "gpt-6-luna"), _chat(standin, "o4-mini"), _call(standin, "/models/o4-mini")):
        assert (status, body["error"]["code"]) == (404, "model_not_found")
    assert "o4-mini" not in [model["id"] for model in _call(standin, "/models")[1]["data"]]


@pytest.mark.parametrize("model", ["gpt-5-nano", "o4-mini"])
def test_a_reasoning_model_refuses_max_tokens_and_temperature(standin: OpenAIStandIn, model: str) -> None:
    assert _chat(standin, model, max_tokens=100) == (
        400,
        _refusal(
            "max_tokens",
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
        ),
    )
    assert _chat(standin, model, temperature=0.7) == (
        400,
        _refusal("temperature", "Unsupported parameter: 'temperature' is not supported with this model."),
    )
    assert _chat(standin, model, max_completion_tokens=100)[0] == 200


def test_a_reasoning_model_refuses_an_effort_it_does_not_take(standin: OpenAIStandIn) -> None:
    assert _chat(standin, "gpt-5-nano", reasoning_effort="none") == (
        400,
        _refusal(
            "reasoning_effort",
            "Unsupported value: 'reasoning_effort' does not support 'none' with this model. "
            "Supported values are: 'minimal', 'low', 'medium', and 'high'.",
            code="unsupported_value",
        ),
    )
    assert _chat(standin, "o4-mini", reasoning_effort="minimal")[0] == 400
    assert _chat(standin, "gpt-5-nano", reasoning_effort="minimal")[0] == 200
    assert _chat(standin, "o4-mini", reasoning_effort="low")[0] == 200


def test_other_models_keep_the_old_shape_and_refuse_reasoning_effort(standin: OpenAIStandIn) -> None:
    assert _chat(standin, "gpt-4o-mini", max_tokens=100, temperature=0.7)[0] == 200
    assert _chat(standin, "gpt-4o-mini", reasoning_effort="low") == (
        400,
        _refusal("reasoning_effort", "Unsupported parameter: 'reasoning_effort' is not supported with this model."),
    )


def test_by_default_it_serves_a_model_of_the_preference(settings: Any) -> None:
    assert DEFAULT_MODELS[0] == settings.SIMCRM_MODEL_PREFERENCE[0]
    assert settings.SIMCRM_MODEL_PREFERENCE[-1] not in DEFAULT_MODELS  # the seed's model is shut down
