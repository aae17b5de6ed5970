"""Several runners on one PostgreSQL database: every job runs once and makes exactly one contact."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from simulations.models import Contact
from simulations.services import simulation_create
from standins.openai import OpenAIStandIn
from tests.factories import ContactFactory, ScheduledJobFactory, UserFactory
from tests.processes import ROOT, openai_process_env, process_env, running, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _due_jobs(simulations: int, themes: int = 4) -> list[int]:
    owner = UserFactory.create()
    for index in range(simulations):
        simulation_create(owner=owner, theme=f"Theme {index % themes}", industry="Concurrency")
    ScheduledJob.objects.update(scheduled_for=timezone.now())
    return list(ScheduledJob.objects.values_list("id", flat=True))


def _assert_each_job_ran_once(job_ids: list[int]) -> None:
    jobs = ScheduledJob.objects.filter(id__in=job_ids)
    assert set(jobs.values_list("status", flat=True)) == {JobStatus.COMPLETED}
    assert set(jobs.values_list("attempts", flat=True)) == {1}, "a job was claimed more than once"
    assert Contact.objects.filter(job_id__in=job_ids).count() == len(job_ids)
    duplicates = Contact.objects.values("simulation_id", "email").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()


@pytest.mark.slow
def test_three_run_due_jobs_processes_share_the_work_exactly_once(openai_standin: OpenAIStandIn) -> None:
    # 24 cold keys behind a stand-in that takes 0.2 s per call: far more work than the runners'
    # start-up skew, so all three must overlap, and every pool is filled while they race.
    openai_standin.latency = 0.2
    job_ids = _due_jobs(simulations=24, themes=24)  # 120 due jobs
    env = openai_process_env(openai_standin.base_url)
    runners = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_due_jobs"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [runner.communicate(timeout=120)[0] for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0, 0], outputs

    _assert_each_job_ran_once(job_ids)
    claimed = [int(out.split("claimed ")[1].split(",")[0]) for out in outputs]
    assert sum(claimed) == len(job_ids), outputs
    print("claimed per runner:", claimed)
    assert sum(1 for count in claimed if count) >= 2, f"the runners did not overlap: {claimed}"


@pytest.mark.slow
def test_two_qclusters_and_a_run_due_jobs_share_the_work_exactly_once(tmp_path: Path) -> None:
    job_ids = _due_jobs(simulations=24)
    env = process_env(SIMCRM_WORKERS="2")
    with (
        running(["qcluster"], env=env, log=tmp_path / "cluster-a.log"),
        running(["qcluster"], env=env, log=tmp_path / "cluster-b.log"),
        running(["run_due_jobs"], env=env, log=tmp_path / "pass.log"),
    ):
        wait_for(
            lambda: ScheduledJob.objects.filter(id__in=job_ids, status=JobStatus.COMPLETED).count() == len(job_ids),
            timeout=120,
            what="all jobs to complete",
        )
    _assert_each_job_ran_once(job_ids)


def test_the_database_refuses_a_second_contact_for_one_job() -> None:
    job = ScheduledJobFactory.create()
    ContactFactory.create(simulation=job.simulation, job=job)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory.create(simulation=job.simulation, job=job)


def test_the_database_refuses_a_repeated_email_in_one_simulation() -> None:
    first = ContactFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory.create(simulation=first.simulation, email=first.email)
