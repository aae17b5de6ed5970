"""How many provider calls the cache saves, and how distinct the personas are (run with -s to see numbers)."""

from typing import Any

import pytest

from personas.services import persona_email_key, persona_name_key, persona_take
from standins.openai import OpenAIStandIn

pytestmark = pytest.mark.django_db


def _simulate(simulations: int, takes_each: int) -> list[list[dict[str, str]]]:
    """Round-robin takes, as jobs of several simulations on one key would interleave."""
    used: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in range(simulations)]
    contacts: list[list[dict[str, str]]] = [[] for _ in range(simulations)]
    for _ in range(takes_each):
        for index, (emails, names) in enumerate(used):
            taken = persona_take(theme="Rock band", industry="Music", used_emails=emails, used_names=names)
            emails.add(persona_email_key(taken.data))
            names.add(persona_name_key(taken.data))
            contacts[index].append(taken.data)
    return contacts


def _distinct_share(contacts: list[dict[str, str]]) -> tuple[float, float]:
    emails = {persona_email_key(c) for c in contacts}
    names = {persona_name_key(c) for c in contacts}
    return len(emails) / len(contacts), len(names) / len(contacts)


@pytest.mark.parametrize("simulations", [1, 5])
def test_provider_calls_per_100_takes(openai_standin: OpenAIStandIn, settings: Any, simulations: int) -> None:
    settings.SIMCRM_PERSONA_POOL_SIZE = 20
    contacts = _simulate(simulations, 100)

    calls = len(openai_standin.requests)
    takes = simulations * 100
    shares = [_distinct_share(sim) for sim in contacts]
    print(
        f"\n{simulations} simulation(s) x 100 takes on one key: {calls} provider calls "
        f"({calls * 100 / takes:.1f} per 100 takes); distinct emails/names per simulation: "
        + ", ".join(f"{e:.0%}/{n:.0%}" for e, n in shares)
    )
    assert all(share == (1.0, 1.0) for share in shares)
    assert calls == 5  # 100 distinct people per simulation need a pool of 100: 5 calls of 20, shared by all
