"""django-q2 tasks. Thin: they decide when to run, jobs.runner decides what running means.

A `dispatch` task is a pump: it runs due jobs in one worker slot for up to PUMP_SECONDS, and while
jobs keep coming it stays, sleeping until the next one is due (at most POLL_SECONDS). Idle for
IDLE_PUMP_SECONDS, it ends and notifies the broker (jobs.broker), whose pusher then waits for the
next due job or a NOTIFY; still busy at PUMP_SECONDS, it queues its successor (short, so a stopping
cluster, which waits for running and queued tasks, stops within seconds). A claim that comes back
full queues a pump for the next slot. Postgres advisory locks cap the pumps at one per worker slot
of each machine, so extra pumps return at once, and a second worker machine adds its own slots.
"""

import logging
import socket
import time
import zlib

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from core.database import database_busy_message, database_is_locked
from jobs.broker import dispatch_enqueue, dispatcher_notify
from jobs.runner import scheduled_jobs_next_pass_at, scheduled_jobs_run_due

logger = logging.getLogger(__name__)

PUMP_SECONDS = 4.0
IDLE_PUMP_SECONDS = 1.0
POLL_SECONDS = 0.25
MIN_PAUSE_SECONDS = 0.02
# pg advisory lock namespace: "SIMC" as an int; then the machine and the slot number (slot_key).
ADVISORY_NAMESPACE = 0x53494D43
HOST_KEY = zlib.crc32(socket.gethostname().encode()) % (1 << 20)
MAX_SLOTS = 1024


def dispatch() -> str:
    """Run due jobs for up to PUMP_SECONDS in one worker slot, then hand over."""
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
            if slot + 1 < settings.SIMCRM_WORKERS:
                dispatch_enqueue()

    deadline = time.monotonic() + PUMP_SECONDS
    idle_until = time.monotonic() + IDLE_PUMP_SECONDS
    try:
        while time.monotonic() < min(deadline, idle_until):
            try:
                summary = scheduled_jobs_run_due(deadline=deadline, on_claimed=fan_out_when_full)
                if summary.claimed:
                    ran += summary.claimed
                    logger.info("Pump slot %s: %s", slot, summary)
                    idle_until = time.monotonic() + IDLE_PUMP_SECONDS
                else:
                    time.sleep(_pause_until_due(idle_until))
            except DatabaseError as error:
                if database_is_locked(error):
                    # SQLite waited its busy timeout already, the connection is fine, and the claim's
                    # jobs went back to pending: this pump stays and runs them at once.
                    logger.warning("%s; running jobs again", database_busy_message())
                    idle_until = time.monotonic() + IDLE_PUMP_SECONDS
                    continue
                # The connection died (server restart, pg_terminate_backend): reconnect next round.
                logger.exception("Database error while running jobs; reconnecting")
                connection.close()
                time.sleep(POLL_SECONDS)
    finally:
        _slot_release(slot)
    if time.monotonic() < idle_until:
        dispatch_enqueue(force=True)  # still busy at the deadline: the successor takes over at once
    else:
        worker_wake()  # idle: the broker waits for the next due job from here
    return f"slot {slot}: ran {ran} job(s)"


def worker_wake() -> None:
    """Work was created, resumed or retried: the dispatcher looks at the queue again at once.

    Call it after the commit (transaction.on_commit), or inside the transaction that makes the work:
    the NOTIFY is delivered when it commits.
    """
    dispatcher_notify()


def _pause_until_due(idle_until: float) -> float:
    """Sleep until the next job is due, but at most POLL_SECONDS (work may come without notice)."""
    next_pass_at = scheduled_jobs_next_pass_at()
    pause = min(POLL_SECONDS, max(idle_until - time.monotonic(), 0.0))
    if next_pass_at is not None:
        pause = min(pause, (next_pass_at - timezone.now()).total_seconds())
    return max(pause, MIN_PAUSE_SECONDS)


def slot_key(slot: int) -> int:
    """The advisory lock key of this machine's worker slot: slots are per machine, not per database."""
    return HOST_KEY * MAX_SLOTS + slot


def _slot_acquire() -> int | None:
    if connection.vendor != "postgresql":
        return 0  # SQLite runs one worker; the claim itself stays atomic.
    with connection.cursor() as cursor:
        for slot in range(min(settings.SIMCRM_WORKERS, MAX_SLOTS)):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, slot_key(slot)])
            if cursor.fetchone()[0]:
                return slot
    return None


def _slot_release(slot: int) -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, slot_key(slot)])
    except DatabaseError:
        connection.close()  # a dead connection has released its locks already
