import logging
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

DISPATCH_SCHEDULE_NAME = "simcrm-dispatch"
logger = logging.getLogger(__name__)


def dispatch_schedule_ensure(**kwargs: Any) -> None:
    """Create the one-minute safety-net schedule for the dispatcher, once, by name."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=DISPATCH_SCHEDULE_NAME,
        defaults={
            "func": "jobs.tasks.dispatch",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )


def dispatch_on_worker_start(**kwargs: Any) -> None:
    """A cluster that just started picks up due jobs at once, not at the scheduler's first tick."""
    from jobs.tasks import worker_wake

    logger.info("Worker process %s ready; due jobs start within about a second.", kwargs.get("proc_name", ""))
    worker_wake()


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        post_migrate.connect(dispatch_schedule_ensure, sender=self)
        post_spawn.connect(dispatch_on_worker_start, dispatch_uid="simcrm-dispatch-on-spawn")
