"""The worker as it runs in production: `manage.py qcluster` against PostgreSQL."""

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest

from jobs.models import JobStatus, ScheduledJob
from simulations.models import Contact, Simulation
from simulations.services import simulation_create
from tests.factories import UserFactory
from tests.processes import process_env, running, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_qcluster_runs_a_due_job_by_itself_and_stops_cleanly(tmp_path: Path) -> None:
    simulation = simulation_create(owner=UserFactory.create(), theme="Space pirates", industry="Logistics")
    first_job = simulation.jobs.order_by("scheduled_for")[0]

    with running(["qcluster"], env=process_env(), log=tmp_path / "qcluster.log") as cluster:
        job = wait_for(
            lambda: ScheduledJob.objects.filter(pk=first_job.pk, status=JobStatus.COMPLETED).first(),
            timeout=60,
            what="the first job to complete",
        )
        # Ctrl+C in a terminal: SIGINT to the cluster's whole process group.
        os.killpg(cluster.pid, signal.SIGINT)
        wait_for(lambda: cluster.poll() is not None, timeout=15, what="qcluster to stop after SIGINT")

    contact = Contact.objects.get(job=job)
    assert contact.simulation_id == simulation.pk
    assert contact.source == "offline"
    assert job.result is not None
    assert job.result["simulated"] is True
    assert job.result["contact"]["email"] == contact.email
    # The other four jobs are not due yet and must still be waiting.
    assert simulation.jobs.filter(status=JobStatus.PENDING).count() == 4


def _terminate_other_backends() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def test_worker_survives_its_database_connections_being_killed(tmp_path: Path) -> None:
    owner = UserFactory.create()
    first = simulation_create(owner=owner, theme="Rock band", industry="Music")
    with running(["qcluster"], env=process_env(), log=tmp_path / "qcluster.log"):
        wait_for(lambda: first.contacts.exists(), timeout=60, what="the first contact")
        assert _terminate_other_backends() > 0

        second = simulation_create(owner=owner, theme="Space pirates", industry="Logistics")
        wait_for(lambda: second.contacts.exists(), timeout=60, what="a contact after the connections died")
    assert not ScheduledJob.objects.filter(status=JobStatus.PROCESSING).exists()


def test_qcluster_catches_up_a_backfill_of_two_thousand_past_records(tmp_path: Path) -> None:
    from django.utils import timezone

    from simulations.curves import Plan
    from simulations.planner import FIRST_WINDOW

    now = timezone.now()
    plan = Plan(
        total_records=2_000,
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(days=1),
        distribution="business_hours",
        curve_weights=None,
        timezone="Europe/Berlin",
        seed=99,
    )
    simulation = simulation_create(owner=UserFactory.create(), theme="History", industry="Logistics", plan=plan)
    assert simulation.jobs.count() == FIRST_WINDOW  # the rest is planned by the worker as it goes

    with running(["qcluster"], env=process_env(), log=tmp_path / "qcluster.log"):
        wait_for(
            lambda: simulation.contacts.count() == 2_000 or None,
            timeout=180,
            interval=0.5,
            what="2,000 backfilled contacts",
        )
        wait_for(
            lambda: Simulation.objects.filter(pk=simulation.pk, status="completed").first(),
            timeout=30,
            what="the simulation to complete",
        )
    occurred = list(simulation.contacts.order_by("occurred_at").values_list("occurred_at", flat=True))
    assert None not in occurred
    assert plan.starts_at <= min(filter(None, occurred)) and max(filter(None, occurred)) < plan.ends_at
    assert simulation.contacts.values("email").distinct().count() == 2_000
