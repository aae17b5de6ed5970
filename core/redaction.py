"""Keeping secrets out of everything SimCRM writes: job errors, answers and log lines."""

import logging
import re

from django.conf import settings

# OpenAI echoes part of a rejected key ("Incorrect API key provided: sk-abc***xyz"), whatever the
# key's shape; treat that echo, and anything shaped like a key (OpenAI's sk-, and the shapes each CRM
# adapter adds for its tokens), as secret, whole or partial.
_PATTERNS = [r"sk-[A-Za-z0-9_\-*]+", r"(?<=API key provided: )[^\s.,;]+", r"(?<=Bearer )\S+"]
_KEY_PATTERN = re.compile("|".join(_PATTERNS))
REDACTED = "[redacted]"


def secret_patterns_add(patterns: tuple[str, ...]) -> None:
    """Treat text matching these regular expressions as secret too (a CRM adapter's token shapes)."""
    global _KEY_PATTERN
    _PATTERNS.extend(pattern for pattern in patterns if pattern not in _PATTERNS)
    _KEY_PATTERN = re.compile("|".join(_PATTERNS))


def redact_secrets(text: str) -> str:
    """Return text with the configured OpenAI key and anything that looks like an API key removed."""
    key = getattr(settings, "OPENAI_API_KEY", "") or ""
    if key:
        text = text.replace(key, REDACTED)
    return _KEY_PATTERN.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """Last line of defence: scrub API keys from every record a handler writes, traceback included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_secrets(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        return True
