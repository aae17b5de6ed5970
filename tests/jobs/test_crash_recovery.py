"""Workers die and tasks are re-delivered; every job still completes once, with one contact."""

import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from jobs.models import JobStatus, ScheduledJob
from simulations.models import Contact
from simulations.services import simulation_create
from standins.openai import OpenAIStandIn, StandInReply
from tests.factories import UserFactory
from tests.processes import openai_process_env, process_env, running, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _first_job() -> ScheduledJob:
    simulation = simulation_create(owner=UserFactory.create(), theme="Space pirates", industry="Logistics")
    return simulation.jobs.order_by("scheduled_for", "id")[0]


def test_job_of_a_killed_cluster_is_taken_up_again_and_completes_once(
    openai_standin: OpenAIStandIn, tmp_path: Path
) -> None:
    openai_standin.script([StandInReply.hang()])
    job = _first_job()
    env = openai_process_env(openai_standin.base_url, SIMCRM_JOB_TIMEOUT_SECONDS="3")

    with running(["qcluster"], env=env, log=tmp_path / "doomed.log") as doomed:
        wait_for(lambda: openai_standin.in_flight == 1, timeout=60, what="the worker's OpenAI call")
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
    openai_standin.release()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.PROCESSING, 1)

    with running(["qcluster"], env=env, log=tmp_path / "rescuer.log"):
        wait_for(
            lambda: ScheduledJob.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists(),
            timeout=60,
            what="the rescuing cluster to complete the job",
        )
    job.refresh_from_db()
    assert job.attempts == 2
    assert Contact.objects.filter(job=job).count() == 1
    assert Contact.objects.filter(simulation_id=job.simulation_id).count() == 1


def test_a_redelivered_task_does_not_run_a_job_twice(openai_standin: OpenAIStandIn, tmp_path: Path) -> None:
    openai_standin.script([StandInReply.hang()])
    job = _first_job()
    env = openai_process_env(openai_standin.base_url)

    with running(["qcluster"], env=env, log=tmp_path / "first.log"):
        wait_for(lambda: openai_standin.in_flight == 1, timeout=60, what="the first delivery's OpenAI call")
        # The broker re-delivers a task whose ack is late: make every queued task look overdue.
        OrmQ.objects.update(lock=timezone.now())
        with running(["qcluster"], env=env, log=tmp_path / "second.log"):
            wait_for(
                lambda: not OrmQ.objects.filter(lock__lte=timezone.now()).exists(),
                timeout=30,
                what="the second cluster to take the re-delivered task",
            )
            openai_standin.release()
            wait_for(
                lambda: ScheduledJob.objects.filter(pk=job.pk, status=JobStatus.COMPLETED).exists(),
                timeout=60,
                what="the job to complete",
            )
    job.refresh_from_db()
    assert job.attempts == 1, "the job was claimed again while its first run was still going"
    assert Contact.objects.filter(job=job).count() == 1
    assert len([r for r in openai_standin.requests if r.path.endswith("/chat/completions")]) == 1


def test_stale_processing_job_with_no_attempts_left_fails(settings: Any, tmp_path: Path) -> None:
    job = _first_job()
    ScheduledJob.objects.filter(pk=job.pk).update(
        status=JobStatus.PROCESSING, attempts=3, started_at=timezone.now() - timedelta(minutes=10)
    )
    with running(["qcluster"], env=process_env(SIMCRM_JOB_TIMEOUT_SECONDS="60"), log=tmp_path / "q.log"):
        wait_for(
            lambda: ScheduledJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).exists(),
            timeout=60,
            what="the stale job to be failed",
        )
    job.refresh_from_db()
    assert "SIMCRM_JOB_TIMEOUT_SECONDS" in job.last_error
