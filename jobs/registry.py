"""What the queue needs from the apps that use it: a handler per job type, and the owner's lifecycle.

The queue knows no job type by name. Each app registers the handlers of its job types in its
`AppConfig.ready()`; a job whose type has no handler fails with a readable `last_error`.

Every job belongs to a simulation (`scheduled_jobs.simulation_id`), whose status decides whether
its jobs may run. The app that owns simulations registers `OwnerLifecycle` once, so the queue can
ask and tell it without importing it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from jobs.models import ScheduledJob


class JobFailed(Exception):
    """A handler could not do its job. The message is for users: it becomes the job's `last_error`.

    `retryable` says whether trying again later can help; `retry_after` is the wait in seconds that
    the outside service asked for, when it named one.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class JobDeferred(Exception):
    """The job cannot run yet: what it changes is not there yet (an earlier job of the same record is
    still to run). It goes back to pending, due again in `delay` seconds, without using an attempt."""

    def __init__(self, message: str, *, delay: float) -> None:
        super().__init__(message)
        self.delay = delay


class LostClaim(Exception):
    """The job is no longer ours: it was cancelled, or taken up again after a timeout."""


# run(job, claim): do the work, and complete the job in the same transaction as its effect
# (jobs.runner.scheduled_job_completing). Raise JobFailed when the work cannot be done.
RunOne = Callable[["ScheduledJob", str], None]


@dataclass(frozen=True)
class BatchOutcome:
    completed: frozenset[int] = frozenset()
    deferred: frozenset[int] = frozenset()  # back to pending (see JobDeferred)


# run_batch(jobs, claim): complete (or defer) what can be done quickly, in bulk
# (jobs.runner.scheduled_jobs_completing); the jobs it leaves out are run one by one.
RunBatch = Callable[[list["ScheduledJob"], str], BatchOutcome]


@dataclass(frozen=True)
class JobHandler:
    job_type: str
    run: RunOne
    run_batch: RunBatch | None = None
    # Runs whatever its simulation's status (a delivery of what it already made), is never cancelled
    # with it, and does not hold its completion.
    independent_of_owner: bool = False


@dataclass(frozen=True)
class OwnerLifecycle:
    """The simulation lifecycle, as the queue sees it.

    Locks are taken in one order everywhere: the simulation (`lock`), then its job.
    """

    runnable: Callable[[], Q]  # a filter on ScheduledJob: jobs whose simulation lets them run now
    lock: Callable[[int], None]  # lock the simulation row until the end of the transaction
    is_cancelled: Callable[[int], bool]
    revive: Callable[[int], None]  # a failed job is retried; raises ConflictError when it may not be
    jobs_finished: Callable[[set[int]], object]  # called after commit, with the simulations concerned


_handlers: dict[str, JobHandler] = {}
_owner: list[OwnerLifecycle] = []
# Run at the start of every pass and whenever a pass runs dry; each returns how many jobs it made.
_pass_hooks: list[Callable[[], int]] = []


def job_handler_register(handler: JobHandler) -> None:
    """Register the handler of one job type; registering the same type twice is a bug."""
    registered = _handlers.get(handler.job_type)
    if registered is not None and registered != handler:
        raise RuntimeError(f"Job type {handler.job_type!r} already has a handler.")
    _handlers[handler.job_type] = handler


def job_handler_unregister(job_type: str) -> None:
    _handlers.pop(job_type, None)


def job_handler_for(job_type: str) -> JobHandler | None:
    return _handlers.get(job_type)


def job_types_independent_of_owner() -> list[str]:
    return sorted(job_type for job_type, handler in _handlers.items() if handler.independent_of_owner)


def job_type_rank(job_type: str) -> int:
    """The order job types run in within one claim: their registration order, so a type that others
    build on (a contact before its stage moves) is registered, and run, first."""
    for rank, registered in enumerate(_handlers):
        if registered == job_type:
            return rank
    return len(_handlers)


def owner_lifecycle_register(lifecycle: OwnerLifecycle) -> None:
    _owner[:] = [lifecycle]


def owner_lifecycle() -> OwnerLifecycle:
    if not _owner:
        raise RuntimeError("No simulation lifecycle is registered with the job queue; is 'simulations' installed?")
    return _owner[0]


def job_queue_pass_hook_register(hook: Callable[[], int]) -> None:
    """Run `hook` before each pass claims jobs (a planner that makes jobs as they are needed)."""
    if hook not in _pass_hooks:
        _pass_hooks.append(hook)


def job_queue_pass_hooks() -> list[Callable[[], int]]:
    return list(_pass_hooks)
