"""Which OpenAI chat model the persona agent uses, and the request shape that model takes.

OPENAI_MODEL=auto (the default) takes the first model of SIMCRM_MODEL_PREFERENCE that the key can
use, from one `models.list` kept a minute per base URL and key (like the status check), so a worker
asks OpenAI about once a minute, not once a job. Any other OPENAI_MODEL is used as it is: one OpenAI
does not serve fails loudly, as before. Model ids come from the server: they are cleaned before they
reach a message, a log line or a job.
"""

import hashlib
import re
import time
from typing import Any

import openai
from django.conf import settings

from personas.errors import PersonaError
from personas.openai_client import build_client, map_openai_error

AUTO = "auto"
LIST_EVERY_SECONDS = 60.0
MODELS_SHOWN = 12  # in a message saying what the key can use; the rest are counted

# Reasoning models: GPT-5 and later, and the o-series (o1, o3, o4-mini ...).
_REASONING_MODEL = re.compile(r"^(gpt-[5-9]|o[0-9])")
# The lowest reasoning_effort a family takes; the first match wins, and a reasoning model that matches
# none gets "low", which every other one takes. Sources (stored copies read in December 2026):
# - gpt-5, gpt-5-mini, gpt-5-nano: minimal, low, medium, high (OpenAI's 400 for gpt-5-mini lists them).
# - gpt-5.1: none, low, medium, high; "models before gpt-5.1 do not support none"; gpt-5-pro only high
#   (OpenAI's reasoning_effort reference, as Azure's SDK docs quote it). gpt-5.2 takes none (Azure test).
# - gpt-5.4-nano: none (default) to xhigh; gpt-5.6-luna, gpt-6-luna, gpt-6.1-terra: none to max (their
#   pages on developers.openai.com). gpt-6.x sol and astra start at low (the models page).
# - o1, o3, o4-mini: low, medium, high (OpenAI's API, as enricoros/big-AGI#940 quotes it).
# Pro and chat-latest models fix their effort: they get none sent, and so their default.
_LOWEST_EFFORT: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"-pro\b|chat-latest"), None),
    (re.compile(r"^gpt-5(-mini|-nano)?(-\d{4}-\d{2}-\d{2})?$"), "minimal"),
    (re.compile(r"^(gpt-5\.[124](?!.*codex)|gpt-5\.6-|gpt-6-luna|gpt-6\.1-terra)"), "none"),
)
# A reasoning model's completion tokens include its hidden reasoning: the cap leaves room for it and
# for about five times the visible tokens a persona or company takes (about 45), and bounds a runaway.
_REASONING_ALLOWANCE_TOKENS = 4_000
_TOKENS_PER_ENTRY = 250
_MAX_COMPLETION_TOKENS = 32_000

_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
_CHAT_MODEL = re.compile(r"^(ft:)?(gpt-|o[0-9]|chatgpt-)(?!.*(audio|realtime|transcribe|tts|image|search))")

_listed: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}


def openai_key_fingerprint() -> str:
    """A short hash of OPENAI_API_KEY: a changed key is asked about again at once; caches never hold the key."""
    return hashlib.blake2b(str(settings.OPENAI_API_KEY).encode(), digest_size=8).hexdigest()


def openai_model_setting() -> str:
    """OPENAI_MODEL as configured: "auto" or a model name."""
    return str(settings.OPENAI_MODEL or AUTO).strip() or AUTO


def openai_model_resolve() -> str:
    """The chat model persona calls use: OPENAI_MODEL, or with `auto` the first model of
    SIMCRM_MODEL_PREFERENCE that the key can use.

    Raises PersonaError when the models cannot be listed (the key refused, OpenAI unreachable ...) or
    when the key can use none of the preference (not retryable: a setting has to change).
    """
    configured = openai_model_setting()
    if configured != AUTO:
        return configured
    served = openai_models_served()
    for name in settings.SIMCRM_MODEL_PREFERENCE:
        if name in served:
            return str(name)
    raise PersonaError(_none_served(served), retryable=False, code="no_preferred_model")


def openai_models_served() -> tuple[str, ...]:
    """The models the key can use, from one `models.list` at most once a minute per base URL and key."""
    key = (str(settings.OPENAI_BASE_URL or ""), openai_key_fingerprint())
    now = time.monotonic()
    cached = _listed.get(key)
    if cached is not None and now - cached[0] < LIST_EVERY_SECONDS:
        return cached[1]
    try:
        with build_client() as client:
            served = tuple(model.id for model in client.models.list() if _MODEL_ID.match(str(model.id)))
    except openai.OpenAIError as exc:
        # `from None`: the SDK's exception text can hold part of the key.
        raise map_openai_error(exc, model=openai_model_setting()) from None
    _listed[key] = (now, served)
    return served


def openai_models_forget() -> None:
    """List the models again at the next resolution (tests; a model OpenAI stopped serving)."""
    _listed.clear()


def is_reasoning_model(model: str) -> bool:
    return bool(_REASONING_MODEL.match(_base_model(model)))


def lowest_reasoning_effort(model: str) -> str | None:
    """The lowest reasoning_effort `model` takes; None to send none (not a reasoning model, or a fixed effort)."""
    if not is_reasoning_model(model):
        return None
    base = _base_model(model)
    return next((effort for pattern, effort in _LOWEST_EFFORT if pattern.search(base)), "low")


def chat_request_options(model: str, *, count: int) -> dict[str, Any]:
    """What a chat completion for `model` sends beside model, messages and response_format.

    Reasoning models refuse `max_tokens` and `temperature` (HTTP 400 unsupported_parameter): they get
    `max_completion_tokens` and their lowest `reasoning_effort`. Other models keep the seed's shape:
    nothing more.
    """
    if not is_reasoning_model(model):
        return {}
    tokens = min(_REASONING_ALLOWANCE_TOKENS + max(count, 1) * _TOKENS_PER_ENTRY, _MAX_COMPLETION_TOKENS)
    options: dict[str, Any] = {"max_completion_tokens": tokens}
    effort = lowest_reasoning_effort(model)
    if effort is not None:
        options["reasoning_effort"] = effort
    return options


def _base_model(model: str) -> str:
    """A fine-tuned model's base ("ft:gpt-5-nano:org::id" -> "gpt-5-nano")."""
    return model.removeprefix("ft:").split(":", 1)[0] if model.startswith("ft:") else model


def _none_served(served: tuple[str, ...]) -> str:
    preference = ", ".join(settings.SIMCRM_MODEL_PREFERENCE) or "nothing"
    if served:
        # Chat models first: a key lists embeddings, audio and image models too.
        shown = sorted(served, key=lambda name: (not _CHAT_MODEL.match(name), name))[:MODELS_SHOWN]
        more = len(served) - len(shown)
        can = "The key can use: " + ", ".join(shown) + (f" and {more} more." if more else ".")
    else:
        can = "The key can use no model at all."
    return (
        f"OPENAI_MODEL is auto, but the key can use none of SIMCRM_MODEL_PREFERENCE ({preference}). {can} "
        "Set OPENAI_MODEL to a chat model the key can use, or add one to SIMCRM_MODEL_PREFERENCE."
    )
