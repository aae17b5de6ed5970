"""1,000 offline contacts across ten (theme, industry) pairs read like a real CRM export for their industry."""

import json
import re
import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from personas.offline import (
    SENIORITY_MARKERS,
    fallback_table,
    generate_personas,
    industry_table,
    industry_tables,
    table_titles,
)

PAIRS: list[tuple[str, str]] = [
    ("Space pirates", "Logistics"),
    ("Haunted house", "Food and beverage"),
    ("Medieval guild", "Cybersecurity"),
    ("Rock band record label", "Music"),
    ("Zombie apocalypse", "Healthcare"),
    ("Wild west frontier", "Real estate"),
    ("Robot uprising", "SaaS"),
    ("Deep sea treasure", "Finance"),
    ("Fairy tale kingdom", "Education"),
    ("Office olympics", "Artisanal candles"),
]
PER_PAIR = 100
# Calling code and digits after it (national significant number) per country, independent of the data.
PHONE_RULES: dict[str, tuple[str, range]] = {
    "United States": ("1", range(10, 11)),
    "Canada": ("1", range(10, 11)),
    "United Kingdom": ("44", range(10, 11)),
    "Germany": ("49", range(10, 12)),
    "France": ("33", range(9, 10)),
    "Spain": ("34", range(9, 10)),
    "Italy": ("39", range(9, 11)),
    "Netherlands": ("31", range(9, 10)),
    "Australia": ("61", range(9, 10)),
    "Ireland": ("353", range(9, 10)),
}


@pytest.fixture(scope="module")
def people() -> Iterator[list[tuple[str, str, dict[str, str]]]]:
    with pytest.MonkeyPatch.context() as patch:

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("the offline provider opened a socket")

        patch.setattr(socket.socket, "connect", refuse)
        made: list[tuple[str, str, dict[str, str]]] = []
        for theme, industry in PAIRS:
            batch = generate_personas(theme=theme, industry=industry, count=PER_PAIR, avoid_names=[])
            assert len(batch.personas) == PER_PAIR
            made.extend((theme, industry, persona) for persona in batch.personas)
        yield made


def _theme_words(theme: str) -> list[str]:
    return [word for word in re.findall(r"[^\W\d_]+", theme) if len(word) >= 3]


def test_titles_never_name_the_theme(people: list[tuple[str, str, dict[str, str]]]) -> None:
    assert len(people) == 1000
    named = [
        (theme, p["jobtitle"])
        for theme, _, p in people
        for word in _theme_words(theme)
        if re.search(rf"\b{re.escape(word)}\b", p["jobtitle"], re.IGNORECASE)
    ]
    assert named == []
    # The filter matters: these industries have titles that would otherwise name their theme.
    assert "Front of House Manager" in table_titles(industry_table("Food and beverage"))
    assert "Label Manager" in table_titles(industry_table("Music"))


def _markers(title: str) -> list[str]:
    alternatives = "|".join(re.escape(m) for m in sorted(SENIORITY_MARKERS, key=len, reverse=True))
    return re.findall(rf"(?<!\w)(?:{alternatives})(?!\w)", title, re.IGNORECASE)


def test_no_title_stacks_seniority(people: list[tuple[str, str, dict[str, str]]]) -> None:
    expected = {"Head of", "Director", "VP", "Chief", "Senior", "Lead", "Principal", "Junior", "Associate"}
    assert expected <= set(SENIORITY_MARKERS)
    assert _markers("Head of Pirates Director") == ["Head of", "Director"]
    stacked = [p["jobtitle"] for _, _, p in people if len(_markers(p["jobtitle"])) > 1]
    assert stacked == []
    every_title = set().union(*(table_titles(table) for table in (*industry_tables(), fallback_table())))
    assert [title for title in every_title if len(_markers(title)) > 1] == []
    seniorities = Counter(tuple(_markers(p["jobtitle"])) for _, _, p in people)
    assert seniorities[()] > 300 and seniorities[("Senior",)] > 50 and seniorities[("Head of",)] > 5


def test_titles_come_from_their_industry_or_the_fallback(people: list[tuple[str, str, dict[str, str]]]) -> None:
    fallback = table_titles(fallback_table())
    assert [industry for _, industry in PAIRS if industry_table(industry) == fallback_table()] == ["Artisanal candles"]
    strays = [
        (industry, p["jobtitle"])
        for _, industry, p in people
        if p["jobtitle"] not in table_titles(industry_table(industry)) | fallback
    ]
    assert strays == []
    for _, industry in PAIRS[:9]:
        own = table_titles(industry_table(industry)) - fallback
        titles = [p["jobtitle"] for _, ind, p in people if ind == industry]
        assert sum(title in own for title in titles) >= PER_PAIR // 2, industry
        assert len(set(titles)) >= 30, industry


def test_phone_agrees_with_country(people: list[tuple[str, str, dict[str, str]]]) -> None:
    for _, _, p in people:
        assert p["country"] in PHONE_RULES, p
        code, lengths = PHONE_RULES[p["country"]]
        match = re.fullmatch(r"\+(\d{1,3}) ([\d -]+)", p["phone"])
        assert match and match[1] == code, p
        assert len(re.sub(r"\D", "", match[2])) in lengths, p
        assert p["city"].strip() and p["city"] != p["country"], p
    countries = Counter(p["country"] for _, _, p in people)
    assert countries.most_common(1)[0][0] == "United States"
    assert len(countries) >= 8


def test_emails_are_distinct_ascii_and_on_company_domains(people: list[tuple[str, str, dict[str, str]]]) -> None:
    emails = [p["email"] for _, _, p in people]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9._]+@[a-z0-9]+\.[a-z.]+", email) for email in emails), emails
    tlds = Counter(email.split("@")[1].split(".", 1)[1] for email in emails)
    assert tlds["com"] > 400 and {"de", "co.uk", "fr"} <= set(tlds)


def test_companies_carry_their_industry_and_only_a_little_theme(people: list[tuple[str, str, dict[str, str]]]) -> None:
    for _, industry, p in people:
        assert any(word in p["company"] for word in industry_table(industry).company_words), p
        assert p["industry"] == industry
    space = [p["company"] for theme, _, p in people if theme == "Space pirates"]
    flavoured = [c for c in space if c.split()[0] in {"Orbital", "Stellar", "Nova", "Zenith", "Apogee", "Corsair"}]
    assert 3 <= len(flavoured) <= 40


def test_same_inputs_same_bytes_and_generations_differ() -> None:
    theme, industry = PAIRS[1]
    first = generate_personas(theme=theme, industry=industry, count=PER_PAIR, avoid_names=[])
    again = generate_personas(theme=theme, industry=industry, count=PER_PAIR, avoid_names=[])
    assert json.dumps(first.personas).encode() == json.dumps(again.personas).encode()
    purged = generate_personas(theme=theme, industry=industry, count=PER_PAIR, avoid_names=[], generation=1)
    names = {(p["firstname"], p["lastname"]) for p in first.personas}
    assert len(names & {(p["firstname"], p["lastname"]) for p in purged.personas}) <= 3
