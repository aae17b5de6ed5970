"""The registry of record kinds: each kind of record a simulation makes is declared in one module.

A kind says what its records are (model, API list serializer, admin), how the timeline makes them
(its steps, their jobs and the handlers that run them), how they are exported and delivered (their
fields, their stage, their associations). The planner, the job queue's registrations, the API
routes, the exports, the deletes, the delivery and the forecast read this registry; none keeps a
list of kinds of its own. A new kind is one module plus its registration in an app's `ready()`;
simulations' own kinds are registered in SimulationsConfig.ready(), in the order records build on
each other (a kind's records may refer to those of kinds registered before it, never after).

A kind's steps enter the timeline from `since_version` on (simulations/timeline_versions.py): a
simulation planned at an older version replays without them, so adding a kind never changes what an
existing simulation replays.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.admin import ModelAdmin, site
from django.db import models
from rest_framework import serializers

from jobs.registry import JobHandler, job_handler_register
from simulations.funnel import STEP_CODES, CrmSettings, TimelineContext, TimelinePart, timeline_contributor_register

if TYPE_CHECKING:
    from simulations.curves import Plan


@dataclass(frozen=True)
class KindField:
    """One field of a record as it leaves SimCRM: its name is the CRM property's (the export's header)."""

    name: str
    value: Callable[[Any], object]
    phone: bool = False  # a phone number stays as it is in a spreadsheet (core.csv_export)
    delivered: bool = True  # False: only in the export (its date, or the keys a multi-object import associates by)
    exported: bool = True  # False: only delivered (a shape the CRM's API wants, not a spreadsheet)


@dataclass(frozen=True)
class KindStage:
    """A kind whose records move through stages, each move written as a RecordEvent."""

    field: str  # the model field, also the CRM property
    choices: type[models.TextChoices]
    order: dict[str, int]  # a stage's rank: a record never moves to a lower one
    event_object: str  # RecordEvent.object_type of its moves


@dataclass(frozen=True)
class KindAssociation:
    """A record of this kind is associated in the CRM with the record its foreign key `field` names
    (a kind with associations has a `crm_associated` field: all of them exist in the CRM)."""

    to: str  # the other kind's name
    field: str


@dataclass(frozen=True)
class EntryJob:
    """What the job of one timeline entry needs: its index, its instant, the timeline's facts."""

    index: int
    instant: datetime
    facts: dict[str, Any]
    plan: "Plan"
    industry: str


@dataclass(frozen=True)
class TimelineStep:
    """A kind of timeline entry. `code` orders entries of one instant and is stored in every planned
    timeline's order: it never changes once released (new steps take new codes)."""

    code: int
    name: str
    job: Callable[[EntryJob], tuple[str, dict[str, Any]]]  # (job type, payload)
    counts_as_record: bool = False  # one of the simulation's total_records (planned_records counts it)
    creates: bool = True  # its job makes a record (False: it changes one)
    writes: str = ""  # the text moment its record's words come from (a model call per theme, once)


@dataclass(frozen=True)
class RecordKind:
    name: str  # plural: its API path, its export's `object`, its CRM object type
    model: type[models.Model]
    serializer: type[serializers.Serializer] | None = None  # the API list's, None: not listed
    admin: type[ModelAdmin] | None = None
    handlers: tuple[JobHandler, ...] = ()  # run in registration order within one claim
    steps: tuple[TimelineStep, ...] = ()
    # Its timeline entries and the facts their jobs read (kept with a cached timeline, so small).
    timeline: Callable[[TimelineContext], tuple[list[TimelinePart], dict[str, Any]]] | None = None
    fields: tuple[KindField, ...] = ()  # empty: not exported
    export_related: tuple[str, ...] = ()  # select_related of its export
    delivered: bool = False  # records a connected CRM receives (models.Delivered)
    stage: KindStage | None = None
    associations: tuple[KindAssociation, ...] = ()
    # Its expected creates and stage updates for a run of this many contacts and companies (the forecast).
    volume: Callable[[int, int, CrmSettings | None], tuple[int, int]] | None = None
    since_version: int = 1
    list_doc: str = ""  # the API list's description
    crm_object: str = ""  # the CRM object type its records become (adapters map it); its name when empty
    activity: bool = False  # counted among the activities in the preview's forecast

    def __post_init__(self) -> None:
        object.__setattr__(self, "crm_object", self.crm_object or self.name)


_kinds: dict[str, RecordKind] = {}
_steps: dict[int, tuple[RecordKind, TimelineStep]] = {}


def record_kind_register(kind: RecordKind) -> None:
    """Register a kind with everything that reads kinds: its job handlers, its admin, its steps."""
    if kind.name in _kinds:
        if _kinds[kind.name] is kind:
            return
        raise ValueError(f"A record kind named {kind.name!r} is registered already.")
    for step in kind.steps:
        if step.code in _steps:
            raise ValueError(f"Timeline step code {step.code} of {kind.name} is taken by {_steps[step.code][0].name}.")
        if not 0 <= step.code < STEP_CODES:
            raise ValueError(f"Timeline step codes are 0..{STEP_CODES - 1}; {kind.name} asked for {step.code}.")
    _kinds[kind.name] = kind
    for step in kind.steps:
        _steps[step.code] = (kind, step)
    if kind.timeline is not None:
        timeline_contributor_register(kind.since_version, kind.timeline)
    for handler in kind.handlers:
        job_handler_register(handler)
    if kind.admin is not None and not site.is_registered(kind.model):
        site.register(kind.model, kind.admin)


def record_kinds() -> Iterator[RecordKind]:
    """Every kind, in registration order (records refer only to kinds before them)."""
    return iter(list(_kinds.values()))


def record_kind(name: str) -> RecordKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"No record kind named {name!r} is registered.") from None


def record_kinds_of_version(version: int) -> list[RecordKind]:
    """The kinds a timeline of this version is made of."""
    return [kind for kind in _kinds.values() if kind.since_version <= version]


def timeline_step(code: int) -> TimelineStep:
    return _steps[code][1]


def record_step_codes() -> list[int]:
    """The codes of the steps that are one of a simulation's total_records."""
    return [code for code, (_, step) in _steps.items() if step.counts_as_record]


def delivered_kinds() -> list[RecordKind]:
    return [kind for kind in _kinds.values() if kind.delivered]


def exported_fields(kind: RecordKind) -> list[KindField]:
    return [field for field in kind.fields if field.exported]


def exported_kinds() -> list[RecordKind]:
    return [kind for kind in _kinds.values() if kind.fields]


def listed_kinds() -> list[RecordKind]:
    return [kind for kind in _kinds.values() if kind.serializer is not None]


def delivered_values(kind: RecordKind, record: Any) -> dict[str, object]:
    """A record's delivered fields by name, as values (an adapter writes them as its CRM wants)."""
    return {f.name: f.value(record) for f in kind.fields if f.delivered}


def names(kinds: Iterable[RecordKind]) -> list[str]:
    return [kind.name for kind in kinds]
