"""The persona cache (persona_take) against PostgreSQL and the OpenAI stand-in."""

import json
import logging
from typing import Any

import pytest

from personas.errors import PersonaError
from personas.models import CachedPersona
from personas.services import (
    TakenPersona,
    persona_cache_key,
    persona_email_key,
    persona_name_key,
    persona_take,
)
from personas.validation import PERSONA_PROPERTIES
from standins.openai import OpenAIStandIn, StandInReply
from tests.conftest import STANDIN_API_KEY

pytestmark = pytest.mark.django_db

THEME = "Rock Band"
INDUSTRY = "Music"


class SimulationUse:
    """The used sets one simulation would pass, grown as it takes personas."""

    def __init__(self) -> None:
        self.emails: set[str] = set()
        self.names: set[str] = set()
        self.taken: list[TakenPersona] = []

    def take(self, theme: str = THEME, industry: str = INDUSTRY) -> TakenPersona:
        taken = persona_take(theme=theme, industry=industry, used_emails=self.emails, used_names=self.names)
        self.emails.add(persona_email_key(taken.data))
        self.names.add(persona_name_key(taken.data))
        self.taken.append(taken)
        return taken


def test_cache_key_is_trimmed_case_folded_and_whitespace_collapsed() -> None:
    key = persona_cache_key(theme="Rock Band", industry="Music")
    assert persona_cache_key(theme=" rock  band", industry="MUSIC") == key
    assert persona_cache_key(theme="ROCK\tBAND\n", industry=" music ") == key
    assert persona_cache_key(theme="Rock Band Music", industry="") != key
    assert persona_cache_key(theme="Rock", industry="Band Music") != key


def test_spellings_of_one_key_share_one_pool(openai_standin: OpenAIStandIn) -> None:
    first = persona_take(theme="Rock Band", industry="Music", used_emails=set(), used_names=set())
    second = persona_take(theme=" rock  band", industry="MUSIC", used_emails=set(), used_names=set())

    assert len(openai_standin.requests) == 1
    assert first.cached is False and second.cached is True
    assert CachedPersona.objects.count() == 1
    row = CachedPersona.objects.get()
    assert (row.theme, row.industry, row.source) == ("Rock Band", "Music", "openai")
    assert row.cache_key == persona_cache_key(theme="Rock Band", industry="Music")


def test_one_call_per_cold_key_and_none_on_a_warm_key(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 20
    sim = SimulationUse()
    taken = [sim.take() for _ in range(20)]
    assert len(openai_standin.requests) == 1
    assert [t.cached for t in taken] == [False] + [True] * 19
    assert all(t.source == "openai" for t in taken)
    assert all(set(t.data) == set(PERSONA_PROPERTIES) for t in taken)

    # A new simulation on the warm key: all hits, no provider call.
    other = SimulationUse()
    for _ in range(20):
        assert other.take(theme="rock band", industry="music").cached is True
    assert len(openai_standin.requests) == 1

    # Another key is another pool.
    SimulationUse().take(theme="Space pirates", industry="Logistics")
    assert len(openai_standin.requests) == 2


def test_more_takes_than_a_pool_holds_stay_distinct(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 20
    sim = SimulationUse()
    for _ in range(50):
        sim.take()

    emails = [t.data["email"] for t in sim.taken]
    names = [persona_name_key(t.data) for t in sim.taken]
    assert len(set(emails)) == 50
    assert len(set(names)) == 50
    assert len(openai_standin.requests) == 3

    pool_sizes = [len(r.user_json["avoid_names"]) for r in openai_standin.requests]
    assert pool_sizes == [0, 20, 40]
    first_pool_names = {f"{t.data['firstname']} {t.data['lastname']}" for t in sim.taken[:20]}
    assert set(openai_standin.requests[1].user_json["avoid_names"]) == first_pool_names
    assert all(r.user_json["count"] == 20 for r in openai_standin.requests)

    row = CachedPersona.objects.get()
    assert len(row.personas) == 60
    assert row.misses == 3
    assert row.hits == 47
    assert row.generation_calls == 3
    assert row.prompt_tokens > 0 and row.completion_tokens > 0


def test_extension_skips_personas_already_in_the_pool(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 2
    sim = SimulationUse()
    sim.take()
    sim.take()
    pool = CachedPersona.objects.get().personas
    fresh = {
        "firstname": "Kim",
        "lastname": "Gordon",
        "email": "kim@sonic.example.com",
        "jobtitle": "Bassist",
        "company": "Sonic Youth",
        "industry": "Music",
    }
    same_email = {**fresh, "firstname": "Kimberly", "email": pool[0]["email"].upper()}
    same_name = {**pool[1], "email": "someone.else@example.com"}
    openai_standin.script([StandInReply.ok(personas=[same_email, same_name, fresh])])

    third = sim.take()

    assert third.cached is False
    assert third.data["email"] == "kim@sonic.example.com"
    assert len(CachedPersona.objects.get().personas) == 3


def test_provider_repeating_only_used_people_is_a_retryable_error(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 1
    sim = SimulationUse()
    first = sim.take()
    # The pool was purged, but this simulation already has that person; the provider writes them again.
    CachedPersona.objects.all().delete()
    openai_standin.script([StandInReply.ok(personas=[first.data])])
    with pytest.raises(PersonaError) as raised:
        sim.take()
    assert raised.value.retryable is True
    assert raised.value.code == "invalid_reply"  # the agent drops names it was told to avoid
    avoid = openai_standin.requests[-1].user_json["avoid_names"]
    assert persona_name_key(first.data) in avoid  # the simulation's used names are sent too

    # A new name at an email this simulation already used passes the agent, but is no use to the simulation.
    openai_standin.script([StandInReply.ok(personas=[{**first.data, "firstname": "Someone"}])])
    with pytest.raises(PersonaError) as raised:
        sim.take()
    assert raised.value.retryable is True
    assert raised.value.code == "no_new_personas"


def test_offline_provider_marks_its_source(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_PROVIDER = "offline"
    settings.SIMCRM_PERSONA_POOL_SIZE = 20  # 25 takes: two calls
    sim = SimulationUse()
    for _ in range(25):
        taken = sim.take()
        assert taken.source == "offline"
    assert openai_standin.requests == []
    row = CachedPersona.objects.get()
    assert row.source == "offline"
    assert row.generation_calls == 2
    assert row.prompt_tokens == 0
    assert len({persona_email_key(t.data) for t in sim.taken}) == 25

    # The OpenAI pool of the same key is a separate row.
    settings.SIMCRM_PERSONA_PROVIDER = "openai"
    assert SimulationUse().take().source == "openai"
    assert set(CachedPersona.objects.values_list("source", flat=True)) == {"offline", "openai"}


def test_unknown_provider_setting_is_a_configuration_error(settings: Any) -> None:
    settings.SIMCRM_PERSONA_PROVIDER = "anthropic"
    with pytest.raises(PersonaError) as raised:
        SimulationUse().take()
    assert raised.value.retryable is False
    assert "SIMCRM_PERSONA_PROVIDER" in str(raised.value)


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [
        (StandInReply.error(401, code="invalid_api_key"), False),
        (StandInReply.rate_limited(retry_after_ms=200), True),
        (StandInReply.malformed("{"), True),
    ],
)
def test_provider_errors_pass_through_unchanged_and_keep_the_key_out_of_logs(
    openai_standin: OpenAIStandIn, caplog: pytest.LogCaptureFixture, reply: StandInReply, retryable: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    openai_standin.script([reply])
    with pytest.raises(PersonaError) as raised:
        SimulationUse().take()
    assert raised.value.retryable is retryable
    assert STANDIN_API_KEY not in str(raised.value)
    assert STANDIN_API_KEY not in caplog.text
    assert "sk-" not in caplog.text
    assert not CachedPersona.objects.exists()

    # The next take succeeds: nothing (no lock, no half-written row) was left behind.
    assert SimulationUse().take().cached is False


def test_nul_and_odd_whitespace_in_theme_are_stored_safely(openai_standin: OpenAIStandIn) -> None:
    taken = persona_take(theme="  Rock\x00 Band ", industry="Mu\x00sic", used_emails=set(), used_names=set())
    row = CachedPersona.objects.get()
    assert (row.theme, row.industry) == ("Rock Band", "Music")
    assert row.cache_key == persona_cache_key(theme="Rock Band", industry="Music")
    assert json.loads(openai_standin.requests[0].body["messages"][1]["content"])["theme"] == "Rock Band"
    assert taken.data in row.personas
