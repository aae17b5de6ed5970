import logging
from typing import Any

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def provider_warn_on_worker_start(**kwargs: Any) -> None:
    """A worker that starts says at once when the persona provider will fail its jobs, and what to set."""
    from personas.health import persona_provider_status

    provider = persona_provider_status()
    if provider.status != "ok":
        logger.warning(
            "The persona provider (%s) is unavailable, so jobs that need personas will fail: %s",
            provider.provider,
            provider.detail,
        )


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        post_spawn.connect(provider_warn_on_worker_start, dispatch_uid="simcrm-provider-warning-on-spawn")
