"""An activity's words: templates with slots, filled from its contact, company and deal.

Templates are kept per beat (activities.story.Beat) and per industry group (activities/data/texts.json):
each body is an opener, a middle and a closer, each picked by the activity's own seeded generator, and
the slots (`{first_name}`, `{company}`, `{amount}` ...) come from its records. Slots are replaced by name
from a fixed list, never by str.format, so a template or a value written by a model cannot reach
anything but plain text.
"""

import json
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from activities.story import Beat

_DATA = Path(__file__).parent / "data" / "texts.json"
SLOT = re.compile(r"\{([a-z_]+)\}")
SLOT_NAMES = frozenset(
    {
        "first_name",
        "last_name",
        "full_name",
        "company",
        "job_title",
        "city",
        "industry",
        "rep",
        "product",
        "pain",
        "outcome",
        "amount",
        "deal",
        "weekday",
        "team_size",
    }
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
REPS = (
    "Alex Morgan",
    "Priya Shah",
    "Jonas Weber",
    "Maria Costa",
    "Sam Okafor",
    "Lena Novak",
    "Diego Ruiz",
    "Hannah Kim",
    "Tom Brennan",
    "Aiko Tanaka",
    "Omar Haddad",
    "Claire Dubois",
)


@dataclass(frozen=True)
class Words:
    subject: str
    body: str


@cache
def _texts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_DATA.read_text(encoding="utf-8"))
    return data


def industry_group(industry: str) -> str:
    """The data file's group for an industry, by a word of it; `general` when none matches."""
    folded = industry.casefold()
    for name, group in _texts()["industries"].items():
        if any(word in folded for word in group["words"]):
            return str(name)
    return "general"


def rep_of(seed: int, contact_index: int) -> str:
    """The salesperson who owns a contact: the same for all its activities."""
    return REPS[random.Random(f"{seed}:rep:{contact_index}").randrange(len(REPS))]


def fill(template: str, values: dict[str, str]) -> str:
    """The template with each known slot replaced by its value; anything else stays as written."""
    return SLOT.sub(lambda match: values.get(match.group(1), match.group(0)), template)


def activity_words(*, beat: Beat, industry: str, rng: random.Random, values: dict[str, str]) -> Words:
    """A subject and body for one activity of this beat, picked and filled by its own generator."""
    group = _texts()["industries"][industry_group(industry)]
    templates = _texts()["beats"][beat.name]
    slots = {
        "industry": industry,
        "product": rng.choice(group["products"]),
        "pain": rng.choice(group["pains"]),
        "outcome": rng.choice(group["outcomes"]),
        "weekday": rng.choice(WEEKDAYS),
        "team_size": str(rng.choice((8, 12, 15, 20, 25, 30, 40, 60, 85, 120))),
        **values,
    }
    subject = fill(rng.choice(templates["subjects"]), slots) if "subjects" in templates else ""
    parts = [fill(rng.choice(templates[part]), slots) for part in ("openers", "middles", "closers")]
    body = "\n\n".join(part for part in parts if part)
    return Words(subject=subject[:255], body=body)
