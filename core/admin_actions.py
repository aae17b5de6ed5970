from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from core.errors import ConflictError


def apply_service_to_each(
    model_admin: "admin.ModelAdmin[Any]",
    request: HttpRequest,
    objects: Iterable[Any],
    service: Callable[[Any], object],
    *,
    done_message: str,
) -> None:
    """Run a service on each selected object and tell staff what was done and what was refused."""
    done, refused = 0, []
    for obj in objects:
        try:
            service(obj)
            done += 1
        except ConflictError as error:
            refused.append(f"#{obj.pk}: {error}")
    model_admin.message_user(request, done_message.format(count=done), messages.SUCCESS)
    if refused:
        model_admin.message_user(request, "Skipped " + "; ".join(refused), messages.WARNING)
