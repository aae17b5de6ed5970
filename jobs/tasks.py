"""django-q2 tasks. Thin: they decide when to run, jobs.runner decides what running means.

django-q2's scheduler ticks only every ~30 s, so a Schedule alone cannot start a due job within
seconds. Instead a `dispatch` task polls for due jobs for PUMP_SECONDS and then re-enqueues
itself, which the ORM broker picks up within its poll (Q_CLUSTER['poll'], 0.25 s). A one-minute Schedule restarts the
chain if it ever breaks, and creating or resuming a simulation, or a worker starting, wakes it
at once. Postgres advisory locks cap the pumps at one per worker slot, so
extra wake-ups return immediately.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django_q.brokers import get_broker
from django_q.tasks import async_task

from jobs.heartbeat import worker_heartbeat
from jobs.runner import scheduled_jobs_run_due

logger = logging.getLogger(__name__)

DISPATCH_TASK = "jobs.tasks.dispatch"
# Short, so a stopping cluster (which waits for running and queued tasks) stops within seconds.
PUMP_SECONDS = 4.0
IDLE_PUMP_SECONDS = 1.0
POLL_SECONDS = 0.25
# pg advisory lock namespace: "SIMC" as an int, then the slot number.
ADVISORY_NAMESPACE = 0x53494D43


def dispatch() -> str:
    """Run due jobs for PUMP_SECONDS in one worker slot, then pass the baton on."""
    slot = _slot_acquire()
    if slot is None:
        return "all pump slots busy"
    ran = 0
    woke = False

    def fan_out_when_full(claimed: int, limit: int) -> None:
        # A full claim means more may be due: wake the next slot now, not after this pass (which can
        # last the whole pump). Once per pump; the woken pump does the same, so the slots fill in turn.
        nonlocal woke
        if not woke and claimed >= limit:
            woke = True
            _fan_out(slot)

    try:
        deadline = time.monotonic() + PUMP_SECONDS
        idle_until = time.monotonic() + IDLE_PUMP_SECONDS
        while time.monotonic() < min(deadline, idle_until):
            try:
                worker_heartbeat()
                summary = scheduled_jobs_run_due(deadline=deadline, on_claimed=fan_out_when_full)
            except DatabaseError:
                # The connection died (server restart, pg_terminate_backend): reconnect next round.
                logger.exception("Database error while running jobs; reconnecting")
                connection.close()
                time.sleep(POLL_SECONDS)
                continue
            ran += summary.claimed
            if summary.claimed:
                logger.info("Pump slot %s: %s", slot, summary)
                idle_until = time.monotonic() + IDLE_PUMP_SECONDS
            else:
                time.sleep(POLL_SECONDS)
    finally:
        _slot_release(slot)
    # Slot 0 keeps the chain alive; other slots stop when idle.
    if slot == 0 or ran:
        worker_wake(force=True)
    return f"slot {slot}: ran {ran} job(s)"


def worker_wake(*, force: bool = False) -> None:
    """Make sure a pump is coming: enqueue a dispatch unless enough are already waiting.

    In a transaction: outside one, django-q2's ORM broker calls close_old_connections(), which with
    CONN_MAX_AGE=0 closes this process's connection, and with it the session that holds a running
    pump's slot lock (the slot would then be taken twice).
    """
    with transaction.atomic():
        if force or get_broker().queue_size() < _slots():
            async_task(DISPATCH_TASK, task_name="simcrm-dispatch", q_options={"save": False})


def _slots() -> int:
    return settings.SIMCRM_WORKERS


def _fan_out(slot: int) -> None:
    if slot + 1 < _slots():
        worker_wake()


def _slot_acquire() -> int | None:
    if connection.vendor != "postgresql":
        return 0  # SQLite runs one worker; the claim itself stays atomic.
    with connection.cursor() as cursor:
        for slot in range(_slots()):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, slot])
            if cursor.fetchone()[0]:
                return slot
    return None


def _slot_release(slot: int) -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, slot])
    except DatabaseError:
        connection.close()  # a dead connection has released its locks already
