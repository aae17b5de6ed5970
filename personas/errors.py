"""The one error the persona side raises, and the scrubbing that keeps API keys out of it."""

import re

from django.conf import settings

# OpenAI echoes part of a rejected key ("Incorrect API key provided: sk-abc***xyz"), whatever the
# key's shape; treat that echo, and anything shaped like a key, as secret, whole or partial.
_KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-*]+|(?<=API key provided: )[^\s.,;]+|(?<=Bearer )\S+")
REDACTED = "[redacted]"


def redact_secrets(text: str) -> str:
    """Return text with the configured OpenAI key and anything that looks like an API key removed."""
    key = getattr(settings, "OPENAI_API_KEY", "") or ""
    if key:
        text = text.replace(key, REDACTED)
    return _KEY_PATTERN.sub(REDACTED, text)


class PersonaError(Exception):
    """Persona generation failed.

    `retryable` says whether trying again later can help (rate limits, timeouts, 5xx, bad replies);
    `retry_after` is the provider's requested wait in seconds, when it named one. The message is
    meant for users (it ends up in a job's `last_error`) and never holds an API key.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status_code: int | None = None,
        code: str | None = None,
    ) -> None:
        message = redact_secrets(message)
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status_code = status_code
        self.code = code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"PersonaError({self.message!r}, retryable={self.retryable}, retry_after={self.retry_after})"
