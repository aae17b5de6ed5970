"""OPENAI_MODEL=auto: the first model of SIMCRM_MODEL_PREFERENCE the key can use, in the request shape
that model takes; against the stand-in over real HTTP, through the real SDK."""

from types import SimpleNamespace
from typing import Any

import pytest

from personas import openai_models
from personas.agent import generate_companies, generate_personas
from personas.errors import PersonaError
from personas.openai_models import chat_request_options, lowest_reasoning_effort, openai_model_resolve
from standins.openai import OpenAIStandIn
from tests.conftest import STANDIN_API_KEY

THEME = "Rock band record label"
INDUSTRY = "Music"


@pytest.fixture(autouse=True)
def fresh_model_lists() -> None:
    openai_models.openai_models_forget()


def _generate(count: int = 5) -> Any:
    return generate_personas(theme=THEME, industry=INDUSTRY, count=count, avoid_names=[])


def test_the_default_preference_puts_todays_small_models_first_and_the_seeds_last(settings: Any) -> None:
    preference = settings.SIMCRM_MODEL_PREFERENCE
    assert preference[0] == "gpt-6-luna" and preference[-1] == "gpt-4.1-nano-2025-04-14"
    assert all(name in settings.SIMCRM_MODEL_PRICES for name in preference)  # the forecast can price each


@pytest.mark.parametrize(
    ("model", "effort"),
    [("gpt-6-luna", "none"), ("gpt-5.6-luna", "none"), ("gpt-5.4-nano", "none"), ("gpt-5-nano", "minimal")],
)
def test_auto_takes_the_only_preferred_model_served_in_the_shape_it_takes(
    openai_standin: OpenAIStandIn, settings: Any, model: str, effort: str
) -> None:
    # The stand-in answers 400 like OpenAI to max_tokens, temperature or an effort the model does not
    # take: personas written prove the shape.
    openai_standin.serve_models(["gpt-4.1-mini", model, "o4-mini"])

    batch = _generate(count=7)

    assert len(batch.personas) == 7 and batch.model == model
    [request] = openai_standin.requests
    assert request.body["model"] == model
    assert request.body["reasoning_effort"] == effort
    assert request.body["max_completion_tokens"] >= 7 * 45  # room for the personas
    assert not {"max_tokens", "temperature"} & set(request.body)
    assert [r.path for r in openai_standin.model_requests] == ["/v1/models"]


def test_an_o_series_model_gets_low_effort(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.OPENAI_MODEL = "o4-mini"
    openai_standin.serve_models(["o4-mini"])

    batch = generate_companies(theme=THEME, industry=INDUSTRY, count=3, avoid_names=[])

    assert batch.model == "o4-mini" and len(batch.companies) == 3
    assert openai_standin.requests[0].body["reasoning_effort"] == "low"


def test_the_models_are_listed_once_a_minute_per_base_url_and_key(
    openai_standin: OpenAIStandIn, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(openai_models, "time", SimpleNamespace(monotonic=lambda: clock.now))

    assert {openai_model_resolve() for _ in range(5)} == {"gpt-6-luna"}
    _generate()
    _generate()
    assert len(openai_standin.model_requests) == 1 and len(openai_standin.requests) == 2

    clock.now += 59
    openai_model_resolve()
    assert len(openai_standin.model_requests) == 1
    clock.now += 2  # a minute on: OpenAI is asked again
    openai_model_resolve()
    assert len(openai_standin.model_requests) == 2

    openai_standin.api_key = settings.OPENAI_API_KEY = "sk-test-another-key-9876543210"
    openai_model_resolve()  # another key may serve other models: asked at once
    assert len(openai_standin.model_requests) == 3


def test_an_explicit_model_wins_without_listing(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.OPENAI_MODEL = "gpt-4o-mini"

    batch = _generate()

    assert batch.model == "gpt-4o-mini"
    assert openai_standin.requests[0].body["model"] == "gpt-4o-mini"
    assert "reasoning_effort" not in openai_standin.requests[0].body  # not a reasoning model
    assert openai_standin.model_requests == []


def test_no_preferred_model_fails_at_once_and_says_what_the_key_can_use(
    openai_standin: OpenAIStandIn, settings: Any
) -> None:
    openai_standin.serve_models(["gpt-4.1-mini", "gpt-realtime", "text-embedding-3-small"])

    with pytest.raises(PersonaError) as raised:
        _generate()

    error = raised.value
    assert (error.retryable, error.code) == (False, "no_preferred_model")
    assert "SIMCRM_MODEL_PREFERENCE" in str(error) and "OPENAI_MODEL" in str(error)
    assert "gpt-4.1-mini, gpt-realtime, text-embedding-3-small" in str(error)
    assert openai_standin.requests == []  # no completion is asked of a model nobody chose
    assert STANDIN_API_KEY not in str(error)


def test_a_model_gone_since_the_list_fails_and_the_next_call_chooses_again(
    openai_standin: OpenAIStandIn, settings: Any
) -> None:
    assert _generate().model == "gpt-6-luna"
    openai_standin.fail_model("gpt-6-luna")  # shut down within the minute the list is kept

    with pytest.raises(PersonaError) as raised:
        _generate()
    assert raised.value.code == "model_not_found" and "gpt-6-luna" in str(raised.value)

    assert _generate().model == "gpt-5.6-luna"
    assert len(openai_standin.model_requests) == 2


def test_model_ids_from_the_server_are_data(openai_standin: OpenAIStandIn, settings: Any) -> None:
    openai_standin.serve_models(["gpt-4.1-mini", "evil\nINFO forged log line", "x" * 300])

    with pytest.raises(PersonaError) as raised:
        _generate()

    assert "The key can use: gpt-4.1-mini." in str(raised.value)
    assert "forged" not in str(raised.value) and "x" * 101 not in str(raised.value)


@pytest.mark.parametrize(
    ("model", "reasoning", "effort"),
    [
        ("gpt-4o-mini", False, None),
        ("gpt-4.1-nano-2025-04-14", False, None),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", False, None),
        ("gpt-5-nano-2025-08-07", True, "minimal"),
        ("gpt-5-mini", True, "minimal"),
        ("ft:gpt-5-nano-2025-08-07:acme::abc123", True, "minimal"),
        ("gpt-5.1", True, "none"),
        ("gpt-6-luna", True, "none"),
        ("gpt-6.2-sol", True, "low"),
        ("o3", True, "low"),
        ("gpt-5-pro", True, None),  # its effort is fixed: the default is sent
        ("gpt-5.1-chat-latest", True, None),
    ],
)
def test_the_request_shape_of_each_family(model: str, reasoning: bool, effort: str | None) -> None:
    shape = chat_request_options(model, count=25)

    assert ("max_completion_tokens" in shape) is reasoning
    assert shape.get("reasoning_effort") == lowest_reasoning_effort(model) == effort
    assert not {"max_tokens", "temperature"} & set(shape)
