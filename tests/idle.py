"""Run the job queue in the test's own process until it has nothing left to do."""

import time
from datetime import timedelta

from django.utils import timezone

from jobs.runner import scheduled_jobs_next_pass_at, scheduled_jobs_run_due


def run_until_idle(*, within: timedelta = timedelta(seconds=3), timeout: float = 300.0) -> None:
    """Run passes until no job of a running simulation is due, nor due `within` from now: deferred
    jobs (a stage move waiting on its deal, a delivery waiting on the budget) come due again soon.

    Fail the test if the queue is still busy after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if scheduled_jobs_run_due().claimed:
            continue
        next_pass = scheduled_jobs_next_pass_at()
        if next_pass is None or next_pass > timezone.now() + within:
            return
        time.sleep(0.2)
    raise AssertionError(f"the queue did not run dry within {timeout} s")
