"""What a SimCRM contact, company or deal becomes in HubSpot: its properties, and SimCRM's own
properties the portal needs for them (created there the first time, recorded on the Connection).

Delivered records carry their past (CONTRACT, "Today's services"): a 90-day backfill must not arrive
as records all created today. What HubSpot lets a client write, as found in HubSpot's documentation:

- `createdate` takes a client's value on deals: HubSpot's deal object definition gives it (and
  `closedate`) `modificationMetadata.readOnlyValue: false` (developers.hubspot.com/docs/api-reference/
  latest/crm/objects/deals/object-definition, "default deal properties as of November 20, 2025").
  For contacts and companies no such definition was found: copies of a portal's contact property
  metadata in public test fixtures say `readOnlyValue: true`, while a HubSpot answer of 2019 checked a
  contact's createdate as a datetime (INVALID_LONG) instead of refusing it. SimCRM sends it for all
  three, as the contract asks; a portal that refuses it says so (400, READ_ONLY_VALUE naming it).
- The lifecycle stage dates, "Became a Lead Date" `hs_lifecyclestage_lead_date` and the like, are set
  by HubSpot itself ("This is automatically set by HubSpot for each contact", their description) and
  the same property metadata says `readOnlyValue: true`; the stage calculated properties "Date
  entered/exited <stage>" (`hs_v2_date_entered_<stage>`, for deals also `hs_date_entered_<stage>`)
  "automatically update based on a record's current and historical stage values" (knowledge.hubspot.com/
  properties/stage-calculated-properties): HubSpot computes them from when it saw each stage, so a
  backfill would get today, and takes no client's value (400 VALIDATION_ERROR, READ_ONLY_VALUE).
- Datetime values go as ISO 8601 strings in UTC, to the millisecond (HubSpot takes ISO 8601 or epoch
  milliseconds: developers.hubspot.com/docs/api/faq and the properties guide's `datetime` type).

So every stage date goes into a datetime property of SimCRM's, `simcrm_<stage>_at`, taken from the
record's RecordEvents (the first stage's date is the record's occurred_at), read in one query a batch.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.crm.base import CrmConnection
from connectors.crm.hubspot.client import HubSpotClient
from simulations.kinds import RecordKind, delivered_values
from simulations.models import RecordEvent

# Records other than contacts are upserted by it; contacts by email. Activities carry it too, in a plain
# property (HubSpot has no unique ones on activities): they are found by it after a lost answer.
UNIQUE_PROPERTY = "simcrm_id"
# HubSpot's activity objects: dated by hs_timestamp (their createdate is HubSpot's, read-only).
ACTIVITY_OBJECTS = frozenset({"emails", "calls", "meetings", "notes", "tasks"})
_GROUPS = {"contacts": "contactinformation", "companies": "companyinformation", "deals": "dealinformation"}
# HubSpot's own date of entering a stage, and whether a client may write it (see above: it may not).
_HUBSPOT_STAGE_DATE = {"contacts": ("hs_lifecyclestage_{}_date", False), "deals": ("hs_v2_date_entered_{}", False)}


def stage_date_property(object_type: str, stage: str) -> str:
    """The property a stage's date goes to: HubSpot's own where it takes a client's value, else SimCRM's."""
    pattern, writable = _HUBSPOT_STAGE_DATE.get(object_type, ("", False))
    return pattern.format(stage) if writable else f"simcrm_{stage}_at"


def hubspot_datetime(moment: datetime) -> str:
    """A datetime property value as HubSpot writes them itself: ISO 8601, UTC, milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_properties(kind: RecordKind, keyed: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The HubSpot properties of each record of a batch (up to 100), by its key (its email, or its
    simcrm_id): its fields, its createdate, and the dates of the stages it has reached."""
    reached = _stages_reached(kind, keyed.values())
    return {
        key: {**_fields(kind, record, key), **_dates(kind, record, reached.get(record.pk, {}))}
        for key, record in keyed.items()
    }


def properties_without_stage(properties: dict[str, str]) -> dict[str, str]:
    """A contact's input for a portal whose record holds a later lifecycle stage (a replay into the same
    portal, a stage set by hand): HubSpot moves stages forward only, so the portal keeps its stage.

    The dates stay, as none of them turns wrong: createdate and the dates of the stages the record has
    reached are SimCRM's timeline, true whatever later stage the portal keeps (and no date is sent for a
    stage beyond the record's own). The fallback sends every contact of the batch without its stage,
    those HubSpot did not refuse too, and they keep their past this way.
    """
    return {name: value for name, value in properties.items() if name != "lifecyclestage"}


def custom_property_definitions(kind: RecordKind) -> dict[str, dict[str, Any]]:
    """SimCRM's own properties of this kind's object type, by name, as the properties API creates them."""
    object_type = kind.crm_object
    group = _GROUPS.get(object_type, f"{object_type[:-1]}information")
    definitions: dict[str, dict[str, Any]] = {}
    if object_type != "contacts":
        unique = object_type not in ACTIVITY_OBJECTS
        definitions[UNIQUE_PROPERTY] = {
            "name": UNIQUE_PROPERTY,
            "label": "SimCRM id",
            "type": "string",
            "fieldType": "text",
            "groupName": group,
            "hasUniqueValue": unique,
            "description": "Set by SimCRM: the record's id there, so a repeated delivery updates, never duplicates.",
        }
    for field in kind.fields:
        if field.delivered and field.name.startswith("simcrm_") and field.name not in definitions:
            definitions[field.name] = {
                "name": field.name,
                "label": f"{field.name.removeprefix('simcrm_').replace('_', ' ').capitalize()} (SimCRM)",
                "type": "datetime",
                "fieldType": "date",
                "groupName": group,
                "description": "Set by SimCRM: the simulated date, which HubSpot's own property takes from its clock.",
            }
    if kind.stage is not None:
        for stage in kind.stage.choices:
            name = stage_date_property(object_type, stage.value)
            if name.startswith("simcrm_"):
                definitions[name] = {
                    "name": name,
                    "label": f"Entered {stage.label} (SimCRM)",
                    "type": "datetime",
                    "fieldType": "date",
                    "groupName": group,
                    "description": (
                        f"Set by SimCRM: when the simulated record entered {stage.label} (HubSpot's own stage dates "
                        "are calculated from when it saw the stage, and refuse a client's value)."
                    ),
                }
    return definitions


def custom_properties_ensure(
    *, client: HubSpotClient, connection: CrmConnection, kind: RecordKind
) -> dict[str, list[str]]:
    """Make sure SimCRM's properties of this kind exist in the portal, creating the missing ones; return the
    names confirmed by object type, for the connection to record: two requests the first time, none (and
    nothing) once they are all recorded."""
    object_type = kind.crm_object
    wanted = custom_property_definitions(kind)
    known = set(connection.custom_properties.get(object_type, []))
    missing = [name for name in wanted if name not in known]
    if not missing:
        return {}
    present = client.properties_read(object_type, missing)
    absent = [wanted[name] for name in missing if name not in present]
    if absent:
        present |= client.properties_create(object_type, absent)
    return {object_type: sorted(present & set(wanted))}


def _stages_reached(kind: RecordKind, records: Iterable[Any]) -> dict[int, dict[str, datetime | None]]:
    """Record id -> {stage: when it was entered}, from the batch's RecordEvents in one query; a first
    stage (old_value null) maps to None: its date is the record's own occurred_at."""
    if kind.stage is None:
        return {}
    events = RecordEvent.objects.filter(
        object_type=kind.stage.event_object,
        property=kind.stage.field,
        object_id__in=[record.pk for record in records],
    ).values_list("object_id", "new_value", "old_value", "occurred_at")
    reached: dict[int, dict[str, datetime | None]] = {}
    for object_id, stage, old_value, occurred_at in events:
        reached.setdefault(object_id, {})[stage] = None if old_value is None else occurred_at
    return reached


def _dates(kind: RecordKind, record: Any, reached: dict[str, datetime | None]) -> dict[str, str]:
    if kind.crm_object in ACTIVITY_OBJECTS:
        return {}  # dated by their hs_timestamp field
    created: datetime = record.occurred_at or record.created_at
    dates = {"createdate": hubspot_datetime(created)}
    if kind.stage is None:
        return dates
    order = kind.stage.order
    current = getattr(record, kind.stage.field)
    # A stage entered after this record was read (its event committed since) waits for its own delivery.
    for stage, entered in (reached or {current: None}).items():
        if order[stage] <= order[current]:
            dates[stage_date_property(kind.crm_object, stage)] = hubspot_datetime(entered or created)
    return dates


def _fields(kind: RecordKind, record: Any, key: str) -> dict[str, str]:
    """The kind's delivered fields (simulations.kinds), as HubSpot takes them."""
    # A date not reached yet (a task not completed) is left out, not sent empty.
    properties = {name: _text(value) for name, value in delivered_values(kind, record).items() if value is not None}
    if kind.crm_object != "contacts":
        properties = {UNIQUE_PROPERTY: key, **properties}
    if kind.crm_object == "companies" and "industry" in properties:
        # HubSpot's company `industry` is an enumeration of its own: the text goes in the description.
        properties["description"] = f"{properties.pop('industry')} (SimCRM)"
    return properties


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return hubspot_datetime(value)
    return "" if value is None else str(value)
