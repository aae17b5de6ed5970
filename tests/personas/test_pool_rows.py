"""A pool's entries are rows (PersonaPoolEntry), appended at the next positions and read by position."""

import importlib
from typing import Any

import pytest
from django.apps import apps

from personas.models import CachedPersona, PersonaPoolEntry, PoolKind
from personas.services import (
    company_for_record,
    persona_for_record,
    persona_pools_purge,
    personas_for_records,
    pool_position,
)
from standins.openai import OpenAIStandIn, StandInReply

pytestmark = pytest.mark.django_db

THEME = "Space pirates"
INDUSTRY = "Logistics"


def _person(n: int, **changes: str) -> dict[str, str]:
    person = {
        "firstname": f"Ann{n}",
        "lastname": "Bonny",
        "email": f"ann{n}@bonny.example.com",
        "jobtitle": "Navigator",
        "company": "Bonny Freight",
        "industry": INDUSTRY,
        "phone": "",
        "city": "",
        "country": "",
    }
    return {**person, **changes}


def _rows(kind: str = PoolKind.CONTACT) -> list[tuple[int, int, str]]:
    """(id, position, email or domain) of the pool's rows, by position."""
    entries = PersonaPoolEntry.objects.filter(pool__kind=kind).order_by("position")
    return list(entries.values_list("id", "position", "address_key"))


def test_each_provider_call_appends_rows_after_the_last_position(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 3
    openai_standin.script(
        [
            StandInReply.ok(personas=[_person(0), _person(1), _person(2)]),
            # One repeats an email of the pool, one a name: only the new person is appended.
            StandInReply.ok(
                personas=[_person(9, email="ANN0@bonny.example.com"), _person(1, email="x@y.com"), _person(3)]
            ),
            StandInReply.ok(personas=[_person(4), _person(5), _person(6)]),
        ]
    )

    persona_for_record(theme=THEME, industry=INDUSTRY, seed=7, index=0)
    first = _rows()
    for index in (3, 4, 5):  # positions 3 to 5: the second call gives one entry, the third three more
        persona_for_record(theme=THEME, industry=INDUSTRY, seed=7, index=index)

    rows = _rows()
    assert len(openai_standin.requests) == 3
    assert first == [(first[0][0] + n, n, f"ann{n}@bonny.example.com") for n in range(3)]
    assert rows[:3] == first  # the first call's rows were not rewritten
    assert [(position, email) for _, position, email in rows] == [
        (n, f"ann{m}@bonny.example.com") for n, m in enumerate([0, 1, 2, 3, 4, 5, 6])
    ]
    pool = CachedPersona.objects.get()
    assert (pool.size, pool.misses, pool.generation_calls) == (7, 3, 3)
    assert pool.persona_data == {"personas": []}
    assert [entry["email"] for entry in pool.entries] == [email for _, _, email in rows]


def test_a_record_reads_the_entry_at_its_position(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 5
    taken = {index: persona_for_record(theme=THEME, industry=INDUSTRY, seed=3, index=index) for index in range(10)}
    by_position = {entry.position: entry.data for entry in PersonaPoolEntry.objects.all()}

    for index, persona in taken.items():
        assert persona is not None
        assert persona.data == by_position[pool_position(seed=3, index=index, block=5)]
    batch = personas_for_records(theme=THEME, industry=INDUSTRY, seed=3, indexes=list(range(12)))
    assert sorted(batch) == list(range(10))  # records 10 and 11 have no entry yet: left to the slow path
    assert {index: persona.data for index, persona in batch.items()} == {i: t.data for i, t in taken.items() if t}


def test_purging_a_pool_deletes_its_rows(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 4
    persona_for_record(theme=THEME, industry=INDUSTRY, seed=1, index=0)
    company_for_record(theme=THEME, industry=INDUSTRY, seed=1, index=0)
    contacts = CachedPersona.objects.get(kind=PoolKind.CONTACT)
    assert PersonaPoolEntry.objects.filter(pool__kind=PoolKind.COMPANY).count() == 4

    assert persona_pools_purge(pool_ids=[contacts.pk]) == 1

    assert not PersonaPoolEntry.objects.filter(pool_id=contacts.pk).exists()
    assert len(_rows(PoolKind.COMPANY)) == 4


# --- pools written before pools were rows -------------------------------------------------------------

MIGRATION = importlib.import_module("personas.migrations.0006_pool_entries_from_json")


def _old_pool(kind: str, entries: list[Any]) -> CachedPersona:
    """A pool as written before its entries were rows: all of them in persona_data."""
    data_key = "personas" if kind == PoolKind.CONTACT else "companies"
    return CachedPersona.objects.create(
        theme=THEME,
        industry=INDUSTRY,
        cache_key=f"{THEME.lower()}\n{INDUSTRY.lower()}",
        source="openai",
        kind=kind,
        model="gpt-5-nano",
        hits=4,
        persona_data={data_key: entries},
    )


def test_the_migration_keeps_every_entry_at_its_index() -> None:
    people = [_person(n) for n in range(30)]
    people[7] = "not a persona"  # type: ignore[call-overload]  # an old pool may hold anything; it keeps its place
    contacts = _old_pool(PoolKind.CONTACT, people)
    companies = _old_pool(PoolKind.COMPANY, [{"name": f"Co {n}", "domain": f"Co{n}.example.com"} for n in range(3)])

    MIGRATION.entries_to_rows(apps, None)

    rows = list(PersonaPoolEntry.objects.filter(pool=contacts).order_by("position").values_list("position", "data"))
    assert rows == list(enumerate(people))
    contacts.refresh_from_db()
    assert (contacts.size, contacts.persona_data, contacts.hits) == (30, {"personas": []}, 4)
    assert PersonaPoolEntry.objects.get(pool=contacts, position=3).address_key == "ann3@bonny.example.com"
    keys = PersonaPoolEntry.objects.filter(pool=companies).values_list("position", "name_key", "address_key")
    assert sorted(keys) == [(n, f"co {n}", f"co{n}.example.com") for n in range(3)]

    MIGRATION.rows_to_entries(apps, None)
    contacts.refresh_from_db()
    assert contacts.persona_data == {"personas": people} and not PersonaPoolEntry.objects.exists()


def test_a_replay_reads_a_pool_cached_before_the_change_as_it_was(openai_standin: OpenAIStandIn, settings: Any) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 25
    people = [_person(n) for n in range(50)]
    _old_pool(PoolKind.CONTACT, people)

    MIGRATION.entries_to_rows(apps, None)

    for index in range(50):
        taken = persona_for_record(theme=THEME, industry=INDUSTRY, seed=11, index=index, extend=False)
        assert taken is not None and taken.model == "gpt-5-nano"
        # What the code before rows read: the entry at its position of the JSON list.
        assert taken.data == people[pool_position(seed=11, index=index, block=25)]
    assert openai_standin.requests == []
