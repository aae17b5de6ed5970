"""The offline provider: themed, valid, distinct, reproducible, and no network."""

import re
import socket
from typing import Any

import pytest

from personas.offline import generate_personas
from personas.validation import PERSONA_PROPERTIES, clean_personas, persona_name_key


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the offline provider opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_writes_valid_themed_personas(no_network: None) -> None:
    batch = generate_personas(theme="Rock band record label", industry="Music", count=20, avoid_names=[])

    assert len(batch.personas) == 20
    assert (batch.prompt_tokens, batch.completion_tokens) == (0, 0)
    cleaned, rejected = clean_personas(batch.personas)
    assert rejected == [] and cleaned == batch.personas
    theme_words = ("Rock", "Band", "Record", "Label")
    for persona in batch.personas:
        assert set(persona) == set(PERSONA_PROPERTIES)
        assert persona["industry"] == "Music"
        assert any(word in persona["company"] for word in theme_words)
        assert any(word in persona["jobtitle"] for word in theme_words)
        domain = persona["email"].split("@")[1].removesuffix(".com")
        assert domain == re.sub(r"[^a-z0-9]", "", persona["company"].lower())
    assert len({p["email"] for p in batch.personas}) == 20
    assert len({persona_name_key(p) for p in batch.personas}) == 20


def test_is_reproducible_and_extensions_write_new_people(no_network: None) -> None:
    kwargs: dict[str, Any] = {"theme": "Space pirates", "industry": "Logistics", "count": 20}
    first = generate_personas(**kwargs, avoid_names=[])
    assert generate_personas(**kwargs, avoid_names=[]) == first

    names = [f"{p['firstname']} {p['lastname']}" for p in first.personas]
    second = generate_personas(**kwargs, avoid_names=names)
    assert len(second.personas) == 20
    assert not {persona_name_key(p) for p in second.personas} & {n.casefold() for n in names}


def test_large_pools_stay_distinct(no_network: None) -> None:
    batch = generate_personas(theme="Bakery", industry="Food", count=1000, avoid_names=[])
    assert len({persona_name_key(p) for p in batch.personas}) == 1000
    assert len({p["email"] for p in batch.personas}) == 1000


def test_copes_with_themes_without_usable_words(no_network: None) -> None:
    for theme, industry in [("!!!", ""), ("ÄÖÜ ñandú", "Café"), ("x" * 255, "y" * 255)]:
        batch = generate_personas(theme=theme, industry=industry, count=3, avoid_names=[])
        assert len(batch.personas) == 3
        assert clean_personas(batch.personas)[1] == []
