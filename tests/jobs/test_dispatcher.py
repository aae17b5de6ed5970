"""The dispatcher is quiet when idle and instant when due: NOTIFY wakes the broker, which otherwise
sleeps until the next job is due, with a slow safety poll (jobs.broker)."""

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from rest_framework.test import APIClient

from jobs import broker, heartbeat
from jobs.models import JobStatus, ScheduledJob, WorkerHeartbeat
from jobs.tasks import dispatch, worker_wake
from simulations.lifecycle import simulation_pause
from simulations.services import simulation_create
from tests.factories import UserFactory
from tests.processes import process_env, running, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

IDLE_WINDOW_SECONDS = 12.0


@pytest.fixture
def listener() -> Iterator[psycopg.Connection]:
    """A second session that LISTENs on the dispatcher's channel, as a cluster's pusher does."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as session:
        session.execute(f"LISTEN {broker.CHANNEL}")
        yield session


def _notified(session: psycopg.Connection) -> int:
    return sum(1 for _ in session.notifies(timeout=0.5))


@pytest.fixture
def quick_safety_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker, "SAFETY_POLL_SECONDS", 0.05)
    heartbeat._last_beat = 0.0


def _scans() -> tuple[int, int]:
    """How often the task queue and the jobs table have been read so far (PostgreSQL's table statistics:
    they count the dispatcher's queries, and neither autovacuum nor this test's own reads)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # or a transaction's reads repeat its first
        cursor.execute(
            "SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
            "WHERE relname IN ('django_q_ormq', 'scheduled_jobs')"
        )
        scans = dict(cursor.fetchall())
    return scans["django_q_ormq"], scans["scheduled_jobs"]


def _due_job(*, paused: bool = False) -> ScheduledJob:
    simulation = simulation_create(owner=UserFactory.create(), theme="Space pirates", industry="Logistics")
    if paused:
        simulation_pause(simulation=simulation)
    return simulation.jobs.order_by("scheduled_for")[0]


def test_work_made_in_a_transaction_is_announced_when_it_commits(listener: psycopg.Connection) -> None:
    with transaction.atomic():
        worker_wake()
        assert _notified(listener) == 0
    assert _notified(listener) == 1


def test_a_queued_task_is_announced(listener: psycopg.Connection) -> None:
    broker.dispatch_enqueue(force=True)

    assert _notified(listener) == 1
    assert OrmQ.objects.count() == 1


@pytest.mark.usefixtures("quick_safety_poll")
def test_a_due_job_makes_the_broker_queue_one_pump_and_hand_it_over() -> None:
    job = _due_job()
    dispatcher = broker.DispatchBroker(list_key="simcrm")

    assert dispatcher.dequeue() is None  # it queued a pump
    assert OrmQ.objects.count() == 1
    taken = dispatcher.dequeue()
    assert taken is not None and len(taken) == 1
    assert SignedPackage.loads(taken[0][1])["func"] == broker.DISPATCH_TASK
    assert dispatcher.dequeue() is None  # the job is still due, but a pump was queued just now
    assert OrmQ.objects.count() == 1
    assert ScheduledJob.objects.get(pk=job.pk).status == JobStatus.PENDING  # running it is the pump's work
    assert WorkerHeartbeat.objects.exists()


@pytest.mark.usefixtures("quick_safety_poll")
def test_due_jobs_of_a_paused_simulation_queue_no_pump() -> None:
    _due_job(paused=True)
    dispatcher = broker.DispatchBroker(list_key="simcrm")

    for _ in range(3):
        assert dispatcher.dequeue() is None
    assert OrmQ.objects.count() == 0


@pytest.mark.usefixtures("quick_safety_poll")
def test_a_stale_claim_counts_as_due_work(settings: Any) -> None:
    job = _due_job()
    started = timezone.now() - timedelta(seconds=settings.SIMCRM_JOB_TIMEOUT_SECONDS + 1)
    ScheduledJob.objects.filter(pk=job.pk).update(status=JobStatus.PROCESSING, started_at=started)
    ScheduledJob.objects.exclude(pk=job.pk).update(scheduled_for=timezone.now() + timedelta(days=1))

    assert broker.DispatchBroker(list_key="simcrm").dequeue() is None
    assert OrmQ.objects.count() == 1


def test_a_pump_that_finds_nothing_ends_and_tells_the_broker(listener: psycopg.Connection) -> None:
    assert dispatch() == "slot 0: ran 0 job(s)"
    assert _notified(listener) == 1
    assert OrmQ.objects.count() == 0  # no successor: the broker waits from here


@pytest.mark.slow
def test_an_idle_qcluster_polls_no_faster_than_the_safety_poll_and_starts_api_work_within_a_second(
    tmp_path: Path,
) -> None:
    owner = UserFactory.create()
    _due_job(paused=True)  # due work the cluster must not spin on
    api = APIClient()
    api.force_authenticate(owner)

    with running(["qcluster"], env=process_env(SIMCRM_WORKERS="2"), log=tmp_path / "qcluster.log"):
        since = timezone.now()
        wait_for(
            lambda: WorkerHeartbeat.objects.filter(last_seen_at__gte=since).exists(),
            timeout=60,
            what="the cluster's first heartbeat",
        )
        before = _scans()
        time.sleep(IDLE_WINDOW_SECONDS)  # a measurement window, not a wait for something
        queue_reads, job_reads = (after - first for after, first in zip(_scans(), before, strict=True))

        response = api.post("/api/simulations/", {"theme": "Rock band", "industry": "Music"}, format="json")
        assert response.status_code == 201, response.content
        first = ScheduledJob.objects.filter(simulation_id=response.json()["id"]).order_by("scheduled_for")[0]
        started = wait_for(
            lambda: ScheduledJob.objects.filter(pk=first.pk, started_at__isnull=False).first(),
            timeout=30,
            what="the API-created job to start",
        )

    polls = IDLE_WINDOW_SECONDS / broker.SAFETY_POLL_SECONDS
    # Each safety poll reads the queue once and the jobs twice (the next due job, the oldest claim);
    # one more poll where the window cuts one, and one for a statistics flush that lags. Polling
    # every second would read each 12 times.
    assert queue_reads <= polls + 2, f"the task queue was read {queue_reads} times in {IDLE_WINDOW_SECONDS} s"
    assert job_reads <= 2 * (polls + 2), f"the jobs were read {job_reads} times in {IDLE_WINDOW_SECONDS} s"
    assert started.started_at is not None
    assert (started.started_at - started.scheduled_for).total_seconds() < 1.0


@pytest.mark.slow
def test_a_qcluster_sleeps_until_a_job_is_due_rather_than_till_the_safety_poll(tmp_path: Path) -> None:
    simulation = simulation_create(owner=UserFactory.create(), theme="Space pirates", industry="Logistics")
    simulation.jobs.update(scheduled_for=timezone.now() + timedelta(days=1))

    with running(["qcluster"], env=process_env(), log=tmp_path / "qcluster.log"):
        since = timezone.now()
        wait_for(
            lambda: WorkerHeartbeat.objects.filter(last_seen_at__gte=since).exists(),
            timeout=60,
            what="the cluster's first heartbeat",
        )
        lead = broker.SAFETY_POLL_SECONDS / 2  # due before the next safety poll, told by this notice
        with transaction.atomic():
            job = simulation.jobs.order_by("scheduled_for")[0]
            ScheduledJob.objects.filter(pk=job.pk).update(scheduled_for=timezone.now() + timedelta(seconds=lead))
            worker_wake()
        started = wait_for(
            lambda: ScheduledJob.objects.filter(pk=job.pk, started_at__isnull=False).first(),
            timeout=30,
            what="the job to start",
        )

    assert started.started_at is not None
    late = (started.started_at - started.scheduled_for).total_seconds()
    # Waiting for the safety poll instead would start it SAFETY_POLL_SECONDS / 2 late.
    assert 0 <= late < broker.SAFETY_POLL_SECONDS / 4, f"started {late:.3f} s after it was due"
