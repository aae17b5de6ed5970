import logging


class RedactSecrets(logging.Filter):
    """Last line of defence: scrub API keys from every record a handler writes, traceback included."""

    def filter(self, record: logging.LogRecord) -> bool:
        from personas.errors import redact_secrets

        record.msg = redact_secrets(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        return True
