from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.database import database_is_locked
from core.errors import ConflictError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map service errors to HTTP: Django ValidationError is 400, ConflictError is 409, a locked SQLite 503."""
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = ValidationError(detail=detail)
    if isinstance(exc, RequestDataTooBig):
        # DRF reads request.body, which raises this before our parser sees the body; answer JSON, not HTML.
        exc = ParseError(f"Request body is too large: the limit is {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    if isinstance(exc, UnsupportedMediaType):
        # A body that is not JSON is malformed input, and malformed input answers 400.
        exc = ParseError(f"{exc.detail} Send a JSON object with Content-Type: application/json.")
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if database_is_locked(exc):
        # SQLite only: the worker held the write lock past the busy timeout; nothing was written.
        return Response(
            {"detail": "The database is busy with the worker's writes; nothing was changed. Try again in a moment."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "2"},
        )
    return drf_exception_handler(exc, context)
