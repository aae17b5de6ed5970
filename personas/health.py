"""Does the persona provider work? For OpenAI: the key is accepted and a model is served, the one
OPENAI_MODEL names or, with `auto`, one of SIMCRM_MODEL_PREFERENCE.

One `models.retrieve` (or, with `auto`, one `models.list`) at most once a minute per process, so a
status page polled by every browser costs OpenAI nothing to speak of. The key never appears in what
this answers.
"""

import time
from dataclasses import asdict, dataclass
from typing import Any

import openai
from django.conf import settings

from core.redaction import redact_secrets
from personas.errors import PersonaError
from personas.models import PersonaSource
from personas.openai_client import build_client, map_openai_error
from personas.openai_models import AUTO, openai_key_fingerprint, openai_model_resolve, openai_model_setting
from personas.services import persona_provider_name

CHECK_EVERY_SECONDS = 60.0


# What kind of problem makes the provider unavailable, so a screen can say what to do about it.
PROBLEMS = ("unreachable", "key", "model", "settings", "temporary")


@dataclass(frozen=True)
class ProviderStatus:
    provider: str
    model: str | None
    status: str  # "ok" | "unavailable"
    detail: str
    problem: str | None = None  # None when ok, else one of PROBLEMS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_checked: dict[tuple[str, ...], tuple[float, ProviderStatus]] = {}


def persona_provider_status() -> ProviderStatus:
    """The configured provider's status, checked with OpenAI at most once a minute."""
    try:
        provider = persona_provider_name()
    except PersonaError as error:
        return ProviderStatus(
            provider=str(settings.SIMCRM_PERSONA_PROVIDER),
            model=None,
            status="unavailable",
            detail=str(error),
            problem="settings",
        )
    if provider == PersonaSource.OFFLINE:
        return ProviderStatus(provider=provider, model=None, status="ok", detail="Offline personas: no network needed.")
    key = (
        str(settings.OPENAI_BASE_URL or ""),
        openai_model_setting(),
        ",".join(settings.SIMCRM_MODEL_PREFERENCE),
        openai_key_fingerprint(),
    )
    now = time.monotonic()
    cached = _checked.get(key)
    if cached is not None and now - cached[0] < CHECK_EVERY_SECONDS:
        return cached[1]
    status = _check_openai()
    _checked[key] = (now, status)
    return status


def _check_openai() -> ProviderStatus:
    configured = openai_model_setting()
    named = None if configured == AUTO else configured  # with auto, no model is used until one is served
    try:
        model = openai_model_resolve()  # with auto: lists the models (cached)
        if configured != AUTO:
            with build_client() as client:
                client.models.retrieve(model)
    except PersonaError as error:
        return _unavailable(error, model=named)
    except openai.OpenAIError as error:
        return _unavailable(map_openai_error(error, model=named or configured), model=named)
    chosen = ", the first model of SIMCRM_MODEL_PREFERENCE it can use (OPENAI_MODEL=auto)" if named is None else ""
    return ProviderStatus(
        provider="openai", model=model, status="ok", detail=f"OpenAI accepts the key and serves {model}{chosen}."
    )


def _unavailable(error: PersonaError, *, model: str | None) -> ProviderStatus:
    return ProviderStatus(
        provider="openai", model=model, status="unavailable", detail=redact_secrets(str(error)), problem=_problem(error)
    )


def _problem(error: PersonaError) -> str:
    if error.code in ("connection_error", "timeout"):
        return "unreachable"
    if error.code == "missing_api_key" or error.status_code == 401:
        return "key"
    if error.code in ("model_not_found", "no_preferred_model") or error.status_code in (400, 403, 404):
        return "model"
    if error.retryable:
        return "temporary"
    return "settings"  # a quota, an unexpected answer: the detail says which setting or account to check


def provider_status_forget() -> None:
    """Check again at the next call (tests; a changed setting)."""
    _checked.clear()


def persona_provider_summary() -> str:
    """One line for ./run's start-up frame: the provider and the model actually used, or why there is none."""
    status = persona_provider_status()
    if status.status == "ok" and status.provider == PersonaSource.OFFLINE:
        return "offline provider (set OPENAI_API_KEY for OpenAI)"
    if status.status == "ok":
        chosen = " (OPENAI_MODEL=auto)" if openai_model_setting() == AUTO else ""
        return f"OpenAI, model {status.model}{chosen}"
    # The detail's first sentence says what went wrong; the banner in the app has the rest.
    first = status.detail.split(". ", 1)[0].rstrip(".")
    if status.provider != PersonaSource.OPENAI:
        return f"unavailable: {first}."
    return f"OpenAI, model {openai_model_setting()}: unavailable. {first}."
