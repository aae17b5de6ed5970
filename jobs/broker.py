"""django-q2's ORM broker, woken by PostgreSQL NOTIFY instead of polling: the dispatcher's clock.

The cluster's pusher calls `dequeue()` over and over. Each call is one short transaction that
records the worker heartbeat and takes the queued tasks, or, when there are none, reads when the
queue next has work (`scheduled_jobs_next_pass_at`). When that moment has come, it queues a dispatch
pump (jobs.tasks); otherwise it waits for whichever comes first:

- a NOTIFY on CHANNEL: a task was queued, work was created, resumed or retried, or a pump went idle;
- the next job's scheduled_for;
- SAFETY_POLL_SECONDS, for anything a notification missed (and the heartbeat).

So an idle cluster makes one transaction every SAFETY_POLL_SECONDS, and a job created by the API
starts within milliseconds. On SQLite there is no NOTIFY: the broker polls every Q_CLUSTER['poll'].
Set it with Q_CLUSTER['broker_class'].
"""

import logging
import math
import time
from datetime import datetime
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.tasks import async_task

from core.database import database_busy_message, database_is_locked
from jobs.heartbeat import BEAT_SECONDS, worker_heartbeat
from jobs.runner import scheduled_jobs_next_pass_at

logger = logging.getLogger(__name__)

CHANNEL = "simcrm_dispatch"
DISPATCH_TASK = "jobs.tasks.dispatch"
# Also how often an idle cluster beats; with BEAT_SECONDS' throttle a beat comes at least every
# 2 x this, inside ALIVE_SECONDS (10 s).
SAFETY_POLL_SECONDS = BEAT_SECONDS
# A queued pump starts within this; until then a due job does not queue another.
PUMP_START_SECONDS = 1.0
# The database's clock and ours may differ by a little: never wait less than this for a due job.
MIN_WAIT_SECONDS = 0.005


def dispatcher_notify() -> None:
    """Wake every cluster's pusher: at the commit when called in a transaction, else at once."""
    connection = connections[Conf.ORM]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])


def dispatch_enqueue(*, force: bool = False) -> None:
    """Queue a dispatch pump unless one per worker slot is already waiting (force: queue it anyway).

    In a transaction: outside one, django-q2's ORM broker calls close_old_connections(), which with
    CONN_MAX_AGE=0 closes this process's connection, and with it the session that holds a running
    pump's slot lock (the slot would then be taken twice).
    """
    with transaction.atomic(using=Conf.ORM):
        if force or get_broker().queue_size() < settings.SIMCRM_WORKERS:
            async_task(DISPATCH_TASK, task_name="simcrm-dispatch", q_options={"save": False})


class DispatchBroker(ORM):
    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key=list_key)
        self._listening_on: Any = None  # the psycopg connection that ran LISTEN
        self._pump_queued_at = -math.inf
        self._announced = False

    def enqueue(self, task: str) -> Any:
        # The row and its NOTIFY commit together; in a transaction, get_connection() does not close it.
        with transaction.atomic(using=Conf.ORM):
            package_id = super().enqueue(task)
            dispatcher_notify()
        return package_id

    def dequeue(self) -> list[tuple[Any, Any]] | None:
        try:
            self._listen()
            self._drain()  # what they announced, the read below sees
            with transaction.atomic(using=Conf.ORM):
                worker_heartbeat()
                tasks = self._take()
                next_pass_at = None if tasks else scheduled_jobs_next_pass_at()
            if not tasks:
                self._wait(self._seconds_until(next_pass_at))
        except DatabaseError as error:
            if database_is_locked(error):
                logger.warning("%s; the dispatcher looks again", database_busy_message())
                time.sleep(Conf.POLL)
            else:
                self._reconnect()
            return None
        except psycopg.Error:  # those of the session LISTENing
            self._reconnect()
            return None
        return tasks or None

    def _reconnect(self) -> None:
        logger.exception("The dispatcher lost its database connection; reconnecting")
        connections[Conf.ORM].close()
        self._listening_on = None
        time.sleep(1)

    def _seconds_until(self, next_pass_at: datetime | None) -> float:
        """Queue a pump if work is due (unless one was queued just now); return how long to wait."""
        if next_pass_at is None:
            return SAFETY_POLL_SECONDS
        until = (next_pass_at - timezone.now()).total_seconds()
        if until > 0:
            return min(max(until, MIN_WAIT_SECONDS), SAFETY_POLL_SECONDS)
        if time.monotonic() - self._pump_queued_at >= PUMP_START_SECONDS:
            self._pump_queued_at = time.monotonic()
            dispatch_enqueue()
            return 0.0  # take it at once
        # A pump runs while jobs are due and notifies when it stops; this wait is the safety net.
        return SAFETY_POLL_SECONDS

    def _take(self) -> list[tuple[Any, Any]]:
        """ORM.dequeue without its sleep: lock and return up to Q_CLUSTER['bulk'] queued tasks."""
        queued = self.get_connection().filter(key=self.list_key, lock__lt=timezone.now())[: Conf.BULK]
        return [
            (task.pk, task.payload)
            for task in queued
            if self.get_connection().filter(id=task.id, lock=task.lock).update(lock=self.timeout(task))
        ]

    def _listen(self) -> None:
        connection = connections[Conf.ORM]
        if connection.vendor != "postgresql":
            if not self._announced:
                self._announced = True
                logger.info("Dispatcher ready: looking for due jobs every %s s (SQLite cannot notify)", Conf.POLL)
            return
        connection.ensure_connection()
        if connection.connection is not self._listening_on:  # a new session: LISTEN again
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            self._listening_on = connection.connection
            if not self._announced:
                self._announced = True
                logger.info("Dispatcher ready: due jobs start when they fall due (LISTEN %s)", CHANNEL)

    def _drain(self) -> None:
        if self._listening_on is not None:
            for _ in self._listening_on.notifies(timeout=0):
                pass

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._listening_on is None:
            time.sleep(min(seconds, Conf.POLL))  # SQLite: nothing announces work
            return
        for _ in self._listening_on.notifies(timeout=seconds, stop_after=1):
            pass
