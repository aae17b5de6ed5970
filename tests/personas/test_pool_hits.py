"""A planned run that reads the persona cache counts its hits, contacts and companies alike."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from jobs.models import ScheduledJob
from personas.models import CachedPersona, PoolKind
from simulations.job_types import JobType
from simulations.models import Company, Contact
from standins.openai import OpenAIStandIn
from tests.idle import run_until_idle
from tests.simulations.test_planned import body, past_window

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"


def _hits() -> dict[str, int]:
    return dict(CachedPersona.objects.values_list("kind", "hits"))


def test_every_record_a_planned_run_reads_from_the_pool_is_a_hit(
    api_client: APIClient, openai_standin: OpenAIStandIn, settings: Any
) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 10
    first = api_client.post(
        URL, body(total_records=30, scenario="b2b", contacts_per_company=3, **past_window()), format="json"
    )
    assert first.status_code == 201, first.content
    run_until_idle()
    contacts = Contact.objects.filter(simulation_id=first.json()["id"]).count()
    companies = Company.objects.filter(simulation_id=first.json()["id"]).count()
    assert contacts == 30 and companies > 0
    # The first run: every contact not written by the call it waited for was read from the pool.
    served = ScheduledJob.objects.filter(
        simulation_id=first.json()["id"], job_type=JobType.CREATE_CONTACT, result__persona_cached=True
    ).count()
    assert _hits()[PoolKind.CONTACT] == served > 0
    calls = len(openai_standin.requests)

    replay = api_client.post(f"{URL}{first.json()['id']}/replay/")
    assert replay.status_code == 201, replay.content
    before = _hits()
    run_until_idle()

    # The replay reads every contact and company from the pools, with no call: each one is a hit.
    assert len(openai_standin.requests) == calls
    after = _hits()
    assert after[PoolKind.CONTACT] - before[PoolKind.CONTACT] == contacts
    assert after[PoolKind.COMPANY] - before[PoolKind.COMPANY] == companies
    assert {pool.kind: pool.misses for pool in CachedPersona.objects.all()} == {
        pool.kind: pool.generation_calls for pool in CachedPersona.objects.all()
    }
