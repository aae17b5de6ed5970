"""Does the persona provider work? For OpenAI: the key is accepted and OPENAI_MODEL is served.

One `models.retrieve` at most once a minute per process, so a status page polled by every browser
costs OpenAI nothing to speak of. The key never appears in what this answers.
"""

import hashlib
import time
from dataclasses import asdict, dataclass
from typing import Any

import openai
from django.conf import settings

from core.redaction import redact_secrets
from personas.errors import PersonaError
from personas.models import PersonaSource
from personas.services import persona_provider_name

CHECK_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class ProviderStatus:
    provider: str
    model: str | None
    status: str  # "ok" | "unavailable"
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_checked: dict[tuple[str, str, str], tuple[float, ProviderStatus]] = {}


def persona_provider_status() -> ProviderStatus:
    """The configured provider's status, checked with OpenAI at most once a minute."""
    try:
        provider = persona_provider_name()
    except PersonaError as error:
        return ProviderStatus(
            provider=str(settings.SIMCRM_PERSONA_PROVIDER), model=None, status="unavailable", detail=str(error)
        )
    if provider == PersonaSource.OFFLINE:
        return ProviderStatus(provider=provider, model=None, status="ok", detail="Offline personas: no network needed.")
    key = (str(settings.OPENAI_BASE_URL or ""), str(settings.OPENAI_MODEL), _key_fingerprint())
    now = time.monotonic()
    cached = _checked.get(key)
    if cached is not None and now - cached[0] < CHECK_EVERY_SECONDS:
        return cached[1]
    status = _check_openai()
    _checked[key] = (now, status)
    return status


def _key_fingerprint() -> str:
    # A changed key is checked again at once; the cache never holds the key itself.
    return hashlib.blake2b(str(settings.OPENAI_API_KEY).encode(), digest_size=8).hexdigest()


def _check_openai() -> ProviderStatus:
    from personas import agent

    model = str(settings.OPENAI_MODEL)
    try:
        agent.build_client().models.retrieve(model)
    except PersonaError as error:
        return ProviderStatus(provider="openai", model=model, status="unavailable", detail=redact_secrets(str(error)))
    except openai.OpenAIError as error:
        return ProviderStatus(
            provider="openai", model=model, status="unavailable", detail=str(agent.map_openai_error(error))
        )
    return ProviderStatus(
        provider="openai", model=model, status="ok", detail=f"OpenAI accepts the key and serves {model}."
    )


def provider_status_forget() -> None:
    """Check again at the next call (tests; a changed setting)."""
    _checked.clear()
