import math
from typing import Any

from rest_framework import serializers


def _require_text(field: serializers.Field, data: Any) -> str:
    if not isinstance(data, str):
        field.fail("invalid")
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        field.fail("surrogates")
    return data


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings, and only text PostgreSQL can store."""

    default_error_messages = {
        "invalid": "Must be a string.",
        "surrogates": "Must be valid Unicode text (no lone surrogate characters).",
    }

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(_require_text(self, data))


class StrictChoiceField(serializers.ChoiceField):
    """A ChoiceField that takes only JSON strings.

    DRF's ChoiceField echoes the input in its error, and echoing a lone surrogate makes the
    JSON renderer fail with a 500, so such input is refused before the choice lookup.
    """

    default_error_messages = {
        "invalid": "Must be a string.",
        "surrogates": "Must be valid Unicode text (no lone surrogate characters).",
    }

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(_require_text(self, data))


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that takes only JSON integers: no strings, booleans or fractions."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not (math.isfinite(data) and data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StrictFloatField(serializers.FloatField):
    """A FloatField that takes only finite JSON numbers: no strings or booleans."""

    default_error_messages = {"invalid": "Must be a number."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)
