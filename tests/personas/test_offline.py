"""The offline provider: valid, distinct, reproducible, industry-shaped, and no network."""

import json
import os
import re
import socket
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from personas.offline import (
    OfflineDataError,
    generate_personas,
    industry_table,
    load_industry_table,
    offline_persona,
    persona_seed,
    theme_flavours,
)
from personas.validation import PERSONA_PROPERTIES, clean_personas, persona_name_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the offline provider opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _folds(text: str) -> set[str]:
    """The ASCII forms a company name can take in a domain: plain accent-stripping, or German ä -> ae."""
    german = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return {
        re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", form).encode("ascii", "ignore").decode())
        for form in (text.lower().replace("ß", "ss"), german)
    }


def test_writes_valid_industry_personas(no_network: None) -> None:
    batch = generate_personas(theme="Rock band record label", industry=" Music ", count=20, avoid_names=[])

    assert len(batch.personas) == 20
    assert (batch.prompt_tokens, batch.completion_tokens) == (0, 0)
    cleaned, rejected = clean_personas(batch.personas)
    assert rejected == []
    assert cleaned == [{prop: p[prop] for prop in PERSONA_PROPERTIES} for p in batch.personas]
    company_words = industry_table("Music").company_words
    for persona in batch.personas:
        assert set(persona) == set(PERSONA_PROPERTIES)
        assert all(persona[prop] for prop in PERSONA_PROPERTIES), persona
        assert persona["industry"] == "Music"
        assert any(word in persona["company"] for word in company_words), persona["company"]
        label = persona["email"].split("@")[1].split(".")[0]
        assert any(fold.startswith(label) for fold in _folds(persona["company"])), persona
        assert persona["email"].isascii()
    assert len({p["email"] for p in batch.personas}) == 20
    assert len({persona_name_key(p) for p in batch.personas}) == 20


def test_is_reproducible_and_extensions_write_new_people(no_network: None) -> None:
    kwargs: dict[str, Any] = {"theme": "Space pirates", "industry": "Logistics", "count": 20}
    first = generate_personas(**kwargs, avoid_names=[])
    assert generate_personas(**kwargs, avoid_names=[]) == first
    # Spacing and case of the inputs do not change who is made.
    assert generate_personas(**{**kwargs, "theme": " SPACE  pirates"}, avoid_names=[]).personas == first.personas

    names = [f"{p['firstname']} {p['lastname']}" for p in first.personas]
    second = generate_personas(**kwargs, avoid_names=names)
    assert len(second.personas) == 20
    assert not {persona_name_key(p) for p in second.personas} & {n.casefold() for n in names}


def test_a_new_generation_writes_new_people(no_network: None) -> None:
    kwargs: dict[str, Any] = {"theme": "Space pirates", "industry": "Logistics", "count": 50, "avoid_names": []}
    zeroth = generate_personas(**kwargs)
    first = generate_personas(**kwargs, generation=1)
    assert generate_personas(**kwargs, generation=0) == zeroth
    assert len(first.personas) == 50
    shared_emails = {p["email"] for p in zeroth.personas} & {p["email"] for p in first.personas}
    shared_names = {persona_name_key(p) for p in zeroth.personas} & {persona_name_key(p) for p in first.personas}
    assert len(shared_emails) <= 1 and len(shared_names) <= 2


def test_one_persona_is_a_function_of_its_seed_alone(no_network: None) -> None:
    made = [offline_persona(seed=seed, theme="Haunted house", industry="Food and beverage") for seed in range(30)]
    assert made == [
        offline_persona(seed=seed, theme="Haunted house", industry="Food and beverage") for seed in range(30)
    ]
    assert len({json.dumps(p, sort_keys=True) for p in made}) == 30

    # Another interpreter, with another string-hash seed, writes the same bytes.
    script = (
        "import json; from personas.offline import offline_persona; "
        "print(json.dumps([offline_persona(seed=s, theme='Haunted house', industry='Food and beverage') "
        "for s in range(30)]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True, text=True)
    assert out.stdout.strip() == json.dumps(made)


def test_batch_seeds_depend_on_every_input() -> None:
    base: dict[str, Any] = {
        "theme": "Space pirates",
        "industry": "Logistics",
        "generation": 0,
        "avoided": 0,
        "index": 0,
    }
    assert persona_seed(**base) == persona_seed(**{**base, "theme": "  space PIRATES "})
    changed: list[dict[str, Any]] = [
        {"theme": "Space"},
        {"industry": "Music"},
        {"generation": 1},
        {"avoided": 1},
        {"index": 1},
    ]
    seeds = {persona_seed(**{**base, **change}) for change in changed}
    assert persona_seed(**base) not in seeds and len(seeds) == len(changed)


def test_a_theme_with_no_known_keyword_adds_nothing(no_network: None) -> None:
    assert theme_flavours("Xyzzy plugh") == () == theme_flavours("")
    for seed in range(40):
        plain = offline_persona(seed=seed, theme="", industry="Logistics")
        assert offline_persona(seed=seed, theme="Xyzzy plugh", industry="Logistics") == plain
    flavoured = [offline_persona(seed=seed, theme="Space pirates", industry="Logistics") for seed in range(40)]
    assert flavoured != [offline_persona(seed=seed, theme="", industry="Logistics") for seed in range(40)]


def test_theme_flavours_come_from_keywords_and_never_repeat_the_theme() -> None:
    assert {"Orbital", "Corsair"} <= set(theme_flavours("Space pirates"))
    medieval = theme_flavours("Medieval guild")
    assert "Crown" in medieval and "Guild" not in medieval


@pytest.mark.parametrize(
    ("industry", "table"),
    [
        ("Logistics", "logistics"),
        ("Food and beverage", "food_beverage"),
        ("  CYBERSECURITY ", "cybersecurity"),
        ("Music", "music"),
        ("Healthcare", "healthcare"),
        ("Real estate", "real_estate"),
        ("SaaS", "software"),
        ("Café", "food_beverage"),
        ("Civil engineering", "construction"),
        ("Restaurants", "food_beverage"),
        ("Artisanal candles", "general"),
        ("", "general"),
    ],
)
def test_industries_match_tables_by_alias(industry: str, table: str) -> None:
    assert industry_table(industry).name == table


def test_tables_that_stack_seniority_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'aliases = ["bad"]\ncompany_words = ["Works"]\n'
        '[[departments]]\nname = "Kitchen"\nheads = []\n[departments.roles]\n"Head Chef" = "ic"\n'
    )
    with pytest.raises(OfflineDataError, match="Senior Head Chef"):
        load_industry_table(path)
    path.write_text(path.read_text().replace('"ic"', '"single"'))
    assert load_industry_table(path).departments[0].roles == (("Head Chef", "single"),)


def test_large_pools_stay_distinct(no_network: None) -> None:
    batch = generate_personas(theme="Bakery", industry="Food", count=1000, avoid_names=[])
    assert len({persona_name_key(p) for p in batch.personas}) == 1000
    assert len({p["email"] for p in batch.personas}) == 1000


def test_copes_with_themes_without_usable_words(no_network: None) -> None:
    for theme, industry in [("!!!", ""), ("ÄÖÜ ñandú", "Café"), ("x" * 255, "y" * 255)]:
        batch = generate_personas(theme=theme, industry=industry, count=3, avoid_names=[])
        assert len(batch.personas) == 3
        assert clean_personas(batch.personas)[1] == []
