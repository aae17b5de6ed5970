"""Many jobs on one cold key, across processes: one OpenAI call for that key in flight at a time."""

import itertools
import subprocess
import sys

import pytest
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from personas.models import CachedPersona
from simulations.models import Contact
from simulations.services import simulation_create
from standins.openai import OpenAIStandIn
from tests.factories import UserFactory
from tests.processes import ROOT, openai_process_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_three_runners_on_one_cold_key_never_overlap_their_calls(openai_standin: OpenAIStandIn) -> None:
    openai_standin.latency = 1.0
    owner = UserFactory.create()
    for _ in range(3):
        simulation_create(owner=owner, theme="Haunted lighthouse", industry="Tourism")
    ScheduledJob.objects.update(scheduled_for=timezone.now())  # 15 jobs due at once, one key
    env = openai_process_env(
        openai_standin.base_url,
        SIMCRM_PERSONA_POOL_SIZE="4",  # 5 contacts per simulation need two batches of 4
    )
    runners = [
        subprocess.Popen([sys.executable, "manage.py", "run_due_jobs"], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [runner.communicate(timeout=120)[0] for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0, 0], outputs

    assert ScheduledJob.objects.filter(status=JobStatus.COMPLETED).count() == 15
    calls = sorted(openai_standin.requests, key=lambda request: request.start)
    # A cold start costs one call; the pool then grows one batch at a time, never in parallel.
    assert 2 <= len(calls) <= 4, len(calls)
    for earlier, later in itertools.pairwise(calls):
        assert earlier.end is not None and earlier.end <= later.start, "two calls for one key overlapped"
    pool = CachedPersona.objects.get()
    assert pool.generation_calls == len(calls)
    assert Contact.objects.count() == 15
    for simulation_id in set(Contact.objects.values_list("simulation_id", flat=True)):
        emails = list(Contact.objects.filter(simulation_id=simulation_id).values_list("email", flat=True))
        assert len(emails) == len(set(emails)) == 5
