"""Whatever a library logs, the handlers SimCRM configures never write the OpenAI key."""

import io
import logging
from typing import Any

from core.redaction import RedactSecrets


def test_console_handler_redacts_keys_in_messages_and_tracebacks(settings: Any) -> None:
    settings.OPENAI_API_KEY = "plain-secret-key-123"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("Illegal header value b'Bearer %s'", "plain-secret-key-123")
        try:
            raise ValueError("Incorrect API key provided: azureS***6789. Check it.")
        except ValueError:
            logger.exception("call failed with %s", "sk-proj-abcdef")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "plain-secret-key-123" not in written
    assert "azureS***6789" not in written
    assert "sk-proj-abcdef" not in written
    assert written.count("[redacted]") >= 3


def test_the_configured_console_handler_has_the_filter() -> None:
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactSecrets) for handler in handlers for f in handler.filters)
