"""The OpenAI stand-in invents people like a model asked again and again: a cold 20,000-record run of one
theme must not run out of names (the cold-pool row of `manage.py bench` makes one)."""

from personas.agent import generate_personas
from standins.openai import OpenAIStandIn


def test_one_theme_gets_thousands_of_distinct_people(openai_standin: OpenAIStandIn) -> None:
    names: set[str] = set()
    emails: set[str] = set()
    for _ in range(12):
        batch = generate_personas(theme="Lighthouse keepers", industry="Logistics", count=500, avoid_names=[])
        names |= {f"{p['firstname']} {p['lastname']}".casefold() for p in batch.personas}
        emails |= {p["email"].casefold() for p in batch.personas}
    assert len(names) == len(emails) == 6_000
