import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a size limit and no 500s on pathological documents."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(f"Request body is too large: the limit is {limit} bytes.")
        if not raw:
            raise ParseError("Request body is empty: send a JSON object.")
        try:
            return json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ParseError("Request body is not valid UTF-8.") from None
        except RecursionError:
            raise ParseError("JSON is nested too deeply.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
