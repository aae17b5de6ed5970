"""The OpenAI SDK client SimCRM uses, and what its errors mean to a user (key-free, one line each)."""

import email.utils
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai
from django.conf import settings

from core.redaction import redact_secrets
from personas.errors import PersonaError

MAX_API_MESSAGE_CHARS = 300


def build_client() -> openai.OpenAI:
    """Build the client from settings at call time, so tests and deployments can point it anywhere."""
    if not settings.OPENAI_API_KEY:
        raise PersonaError(
            "OPENAI_API_KEY is not set, but SIMCRM_PERSONA_PROVIDER is 'openai'. Set OPENAI_API_KEY to a valid "
            "key, or set SIMCRM_PERSONA_PROVIDER=offline to generate personas locally.",
            retryable=False,
            code="missing_api_key",
        )
    return openai.OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL or None,
        timeout=settings.OPENAI_TIMEOUT_SECONDS,
        # The job runner retries with backoff; an SDK retry underneath would multiply calls and hide waits.
        max_retries=0,
    )


def map_openai_error(exc: openai.OpenAIError, *, model: str) -> PersonaError:
    """Translate an SDK exception into a PersonaError with a readable, key-free message about `model`."""
    if isinstance(exc, openai.APITimeoutError):
        return PersonaError(
            f"OpenAI did not answer within OPENAI_TIMEOUT_SECONDS={settings.OPENAI_TIMEOUT_SECONDS:g}s. If this keeps "
            "happening, raise OPENAI_TIMEOUT_SECONDS.",
            retryable=True,
            code="timeout",
        )
    if isinstance(exc, openai.APIConnectionError):
        return PersonaError(
            f"Could not connect to OpenAI at {_safe_base_url()}. Check that this machine can reach it (network, "
            "proxy, firewall) and that OPENAI_BASE_URL is right (unset, it is https://api.openai.com/v1).",
            retryable=True,
            code="connection_error",
        )
    if not isinstance(exc, openai.APIStatusError):
        return PersonaError(f"OpenAI client error: {exc}", retryable=False, code="client_error")

    status = exc.status_code
    code = exc.code or None
    api_message = _api_message(exc)
    said = f" OpenAI said: {api_message}" if api_message else ""
    retry_after = _retry_after(exc.response.headers)

    def error(message: str, *, retryable: bool) -> PersonaError:
        return PersonaError(
            message, retryable=retryable, retry_after=retry_after if retryable else None, status_code=status, code=code
        )

    if status == 401:
        return error(
            "OpenAI rejected the API key (HTTP 401). Check OPENAI_API_KEY: set it to a valid, active key, or set "
            f"SIMCRM_PERSONA_PROVIDER=offline.{said}",
            retryable=False,
        )
    if code == "model_not_found" or status == 404:
        if code == "model_not_found" or "model" in api_message.lower():
            return error(
                f"OpenAI has no model {model!r} available to this key (HTTP {status}, model_not_found). Set "
                f"OPENAI_MODEL to a chat model the key can use, or to auto (the default) to use the first model "
                f"of SIMCRM_MODEL_PREFERENCE the key can use.{said}",
                retryable=False,
            )
        return error(
            f"OpenAI answered 404 Not Found at {_safe_base_url()}. Check "
            f"OPENAI_BASE_URL (it should end in /v1) and OPENAI_MODEL ({model!r}).{said}",
            retryable=False,
        )
    if status == 403:
        return error(
            f"OpenAI refused access (HTTP 403): the key's project may lack permission for model {model!r}, or the "
            f"API is not available in this country or region. Check the key's permissions and OPENAI_MODEL.{said}",
            retryable=False,
        )
    if status == 400:
        return error(
            f"OpenAI rejected the request (HTTP 400).{said} Check that OPENAI_MODEL ({model!r}) is a chat model "
            "that supports JSON-schema structured output.",
            retryable=False,
        )
    if status == 429:
        if code == "insufficient_quota":
            # Waiting does not refill a quota: retrying would only fail again.
            return error(
                f"OpenAI says the key's project has run out of quota (HTTP 429 insufficient_quota). Check the "
                f"plan and billing of the project behind OPENAI_API_KEY.{said}",
                retryable=False,
            )
        wait = f" OpenAI asked to wait {retry_after:g}s." if retry_after is not None else ""
        return error(f"OpenAI rate limit reached (HTTP 429).{wait}", retryable=True)
    if status >= 500 or status in (408, 409):
        return error(f"OpenAI had a temporary problem (HTTP {status}).{said}", retryable=True)
    return error(f"OpenAI answered HTTP {status}.{said}", retryable=False)


def _api_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    message: object = body.get("message") if isinstance(body, dict) else body
    if not isinstance(message, str):
        return ""
    message = " ".join(redact_secrets(message).split())
    if len(message) > MAX_API_MESSAGE_CHARS:
        message = message[: MAX_API_MESSAGE_CHARS - 1] + "…"
    return message


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait, from `retry-after-ms` or `retry-after` (seconds or an HTTP date), as OpenAI sends them."""
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if seconds == seconds and seconds not in (float("inf"), float("-inf")):  # not NaN, finite
            return max(seconds, 0.0)
    value = headers.get("retry-after")
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(when.timestamp() - time.time(), 0.0)
    return None


def _safe_base_url() -> str:
    """The configured base URL without any user:password part."""
    url = settings.OPENAI_BASE_URL or "https://api.openai.com/v1"
    try:
        parts = urlsplit(url)
        netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "the URL in OPENAI_BASE_URL"
    return redact_secrets(urlunsplit((parts.scheme, netloc, parts.path, "", "")))
