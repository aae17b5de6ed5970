from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings, and only text PostgreSQL can store."""

    default_error_messages = {
        "invalid": "Must be a string.",
        "surrogates": "Must be valid Unicode text (no lone surrogate characters).",
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("surrogates")
        return super().to_internal_value(data)
