import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from jobs.runner import scheduled_jobs_run_due


class Command(BaseCommand):
    help = "Claim and run every job that is due now, once, then print a one-line summary."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            summary = scheduled_jobs_run_due()
        except DatabaseError as error:
            raise CommandError(
                f"Could not run jobs: the database is unavailable ({error}). Check DATABASE_URL."
            ) from error
        self.stdout.write(f"run_due_jobs: {summary} in {time.monotonic() - started:.2f} s")
