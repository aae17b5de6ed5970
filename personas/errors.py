"""The one error the persona side raises; its message is scrubbed of API keys."""

from core.redaction import redact_secrets


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
