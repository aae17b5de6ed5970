"""An activity's words: templates with slots, filled from its contact, company and deal.

Templates are kept per beat (activities.story.Beat): with the offline provider, per industry group in
activities/data/texts.json; with OpenAI, written by the model once per theme, industry and beat and
cached in the theme's text pool (personas.services.activity_texts_write), so a run of any size costs
one call per beat. Each body is an opener, a middle and a closer, each picked by the activity's own
seeded generator, and the slots (`{first_name}`, `{company}`, `{amount}` ...) come from its records.
Slots are replaced by name from a fixed list, never by str.format, so a template or a value written by
a model cannot reach anything but plain text.
"""

import json
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from activities.story import Beat
from personas.models import PersonaSource
from personas.services import activity_texts_cached, activity_texts_write, persona_provider_name

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


# What each beat is, as the model is told: the kind of activity and its moment in the funnel.
BRIEFS: dict[Beat, tuple[str, str]] = {
    Beat.INBOUND_EMAIL: ("email from a new lead", "a prospect writes in for the first time, asking about the product"),
    Beat.FORM_NOTE: ("note", "the salesperson notes a web form a new lead filled in"),
    Beat.MARKETING_EMAIL: ("marketing email", "a short nurture email to a lead who is not sales-ready yet"),
    Beat.DISCOVERY_CALL: ("call log", "the salesperson's log of a discovery call with a marketing-qualified lead"),
    Beat.DISCOVERY_NOTE: ("note", "the salesperson's notes after the discovery call, qualifying the lead"),
    Beat.DEAL_MEETING: ("meeting", "the first meeting (a demo) once a deal is opened"),
    Beat.PRESENTATION_MEETING: ("meeting", "a presentation to the prospect's stakeholders in the middle of the deal"),
    Beat.PROPOSAL_EMAIL: ("email", "the salesperson sends the proposal with the deal's amount"),
    Beat.FOLLOW_UP_TASK: ("task", "a follow-up task the salesperson sets while the deal is open"),
    Beat.KICKOFF_MEETING: ("meeting", "the kickoff meeting after the deal is won"),
    Beat.LOSS_NOTE: ("note", "the note recording why the deal was lost"),
    Beat.CHECK_IN_EMAIL: ("email", "a check-in with a customer weeks after the win"),
}
Templates = dict[str, list[str]]


def templates_of(*, beat: Beat, theme: str, industry: str) -> Templates | None:
    """The templates of a beat: offline, the data file's for the industry; with OpenAI, the theme's cached
    ones, or None when the model has not written them yet (templates_write does, outside transactions)."""
    if persona_provider_name() == PersonaSource.OFFLINE:
        templates: Templates = _texts()["beats"][beat.name]
        return templates
    return activity_texts_cached(theme=theme, industry=industry, moment=beat.name)


def templates_write(*, beat: Beat, theme: str, industry: str) -> Templates:
    """The templates of a beat, asking the model for them when the theme has none yet (seconds)."""
    found = templates_of(beat=beat, theme=theme, industry=industry)
    if found is not None:
        return found
    activity, brief = BRIEFS[beat]
    return activity_texts_write(
        theme=theme, industry=industry, activity=activity, moment=beat.name, brief=brief, slots=SLOT_NAMES
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


def activity_words(*, templates: Templates, industry: str, rng: random.Random, values: dict[str, str]) -> Words:
    """A subject and body for one activity from its beat's templates, picked and filled by its own generator."""
    group = _texts()["industries"][industry_group(industry)]
    slots = {
        "industry": industry,
        "product": rng.choice(group["products"]),
        "pain": rng.choice(group["pains"]),
        "outcome": rng.choice(group["outcomes"]),
        "weekday": rng.choice(WEEKDAYS),
        "team_size": str(rng.choice((8, 12, 15, 20, 25, 30, 40, 60, 85, 120))),
        **values,
    }
    subject = fill(rng.choice(templates["subjects"]), slots) if templates.get("subjects") else ""
    parts = [fill(rng.choice(templates[part]), slots) for part in ("openers", "middles", "closers")]
    body = "\n\n".join(part for part in parts if part)
    return Words(subject=subject[:255], body=body)
