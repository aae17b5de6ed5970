"""The design's scheduling rule: job i is due at now + i * floor(minutes / 4 / 5) minutes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from jobs.models import JobStatus, ScheduledJob
from simulations.job_types import JobType
from simulations.models import FREQUENCY_MINUTES
from simulations.schedule import job_due_times, job_offsets_minutes

NOW = datetime(2031, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)

EXPECTED_OFFSETS = {
    "1h": [0, 3, 6, 9, 12],
    "4hrs": [0, 12, 24, 36, 48],
    "1day": [0, 72, 144, 216, 288],
    "1wk": [0, 504, 1008, 1512, 2016],
    "1mo": [0, 2160, 4320, 6480, 8640],
}


def test_every_frequency_has_expected_offsets() -> None:
    assert set(EXPECTED_OFFSETS) == set(FREQUENCY_MINUTES)


@pytest.mark.parametrize(("frequency", "offsets"), EXPECTED_OFFSETS.items())
def test_offsets_follow_the_rule(frequency: str, offsets: list[int]) -> None:
    assert job_offsets_minutes(FREQUENCY_MINUTES[frequency]) == offsets


@pytest.mark.parametrize(("minutes", "step"), [(70, 3), (79, 3), (80, 4), (19, 0)])
def test_offsets_round_the_step_down(minutes: int, step: int) -> None:
    assert job_offsets_minutes(minutes) == [i * step for i in range(5)]


@pytest.mark.parametrize(("frequency", "offsets"), EXPECTED_OFFSETS.items())
def test_due_times_start_now(frequency: str, offsets: list[int]) -> None:
    due = job_due_times(start=NOW, frequency_minutes=FREQUENCY_MINUTES[frequency])
    assert due == [NOW + timedelta(minutes=offset) for offset in offsets]


@pytest.mark.django_db
@pytest.mark.parametrize(("frequency", "offsets"), EXPECTED_OFFSETS.items())
def test_creating_a_simulation_schedules_five_jobs_by_the_rule(
    api_client: APIClient, frequency: str, offsets: list[int]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            "/api/simulations/",
            {"theme": "Space pirates", "industry": "Logistics", "record_frequency": frequency},
            format="json",
        )
    assert response.status_code == 201, response.content
    simulation_id = response.json()["id"]

    jobs = list(ScheduledJob.objects.filter(simulation_id=simulation_id).order_by("scheduled_for"))
    assert [job.scheduled_for for job in jobs] == [NOW + timedelta(minutes=offset) for offset in offsets]
    assert {job.job_type for job in jobs} == {JobType.CREATE_CONTACT}
    assert {job.status for job in jobs} == {JobStatus.PENDING}
    assert all(job.attempts == 0 for job in jobs)

    listed = api_client.get(f"/api/simulations/{simulation_id}/jobs/").json()["results"]
    due = [datetime.fromisoformat(job["scheduled_for"]) for job in listed]
    assert [round((moment - NOW).total_seconds() / 60) for moment in due] == offsets
    assert due[0] == NOW  # job 0 is due at once
