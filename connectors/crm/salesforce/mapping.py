"""What SimCRM's records become in Salesforce: the sObject of each record kind, its fields, and SimCRM's stages
in Salesforce's own terms (README, "Salesforce": the mapping table).

- companies: Account; contacts: Contact with its AccountId; deals: Opportunity with AccountId and ContactId
  (Salesforce makes the contact the opportunity's primary contact role when ContactId is given on insert);
  emails, calls, notes and tasks: Task (TaskSubtype Email, Call or Task); meetings: Event; each activity names
  its contact (WhoId) and its deal, or else its company (WhatId).
- A contact's lifecycle stage goes to SimCRM's field "Lifecycle Stage" (SimCRM_Lifecycle_Stage__c): Salesforce
  keeps a status on leads only, and its HubSpot and marketing integrations write a lifecycle stage field on the
  contact the same way.
- Every record carries its SimCRM id (SimCRM_Id__c, an external id, unique) and its simulated creation instant:
  in CreatedDate where the org lets SimCRM's user set audit fields, and in SimCRM_Created_Date__c always, so
  reports read one field in every org.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

EXTERNAL_ID = "SimCRM_Id__c"
CREATED_AT = "SimCRM_Created_Date__c"
LIFECYCLE = "SimCRM_Lifecycle_Stage__c"
# Set on insert only: Salesforce refuses them in an update.
INSERT_ONLY = frozenset({"CreatedDate", "ContactId", "TaskSubtype"})
NUMBERS = frozenset({"NumberOfEmployees", "Amount", "CallDurationInSeconds", "DurationInMinutes"})

SOBJECTS: dict[str, str] = {
    "companies": "Account",
    "contacts": "Contact",
    "deals": "Opportunity",
    "emails": "Task",
    "calls": "Task",
    "notes": "Task",
    "tasks": "Task",
    "meetings": "Event",
}
# SimCRM's own fields on each sObject: (name, Tooling API metadata).
CUSTOM_FIELDS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    sobject: [
        (
            EXTERNAL_ID,
            {"label": "SimCRM Id", "type": "Text", "length": 100, "externalId": True, "unique": True},
        ),
        (CREATED_AT, {"label": "SimCRM Created Date", "type": "DateTime"}),
        *([(LIFECYCLE, {"label": "Lifecycle Stage", "type": "Text", "length": 40})] if sobject == "Contact" else []),
    ]
    for sobject in sorted(set(SOBJECTS.values()))
}

# SimCRM's deal stages (HubSpot's default pipeline) in the default sales process's StageName values.
DEAL_STAGES: dict[str, str] = {
    "appointmentscheduled": "Prospecting",
    "qualifiedtobuy": "Qualification",
    "presentationscheduled": "Value Proposition",
    "decisionmakerboughtin": "Id. Decision Makers",
    "contractsent": "Proposal/Price Quote",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}
LIFECYCLE_STAGES: dict[str, str] = {
    "subscriber": "Subscriber",
    "lead": "Lead",
    "marketingqualifiedlead": "Marketing Qualified Lead",
    "salesqualifiedlead": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "evangelist": "Evangelist",
    "other": "Other",
}
_TASK_PRIORITIES = {"LOW": "Low", "MEDIUM": "Normal", "HIGH": "High"}
_TASK_STATUSES = {"NOT_STARTED": "Not Started", "COMPLETED": "Completed"}
_CALL_TYPES = {"INBOUND": "Inbound", "OUTBOUND": "Outbound"}
# Salesforce's field lengths: a longer value is cut, not refused (STRING_TOO_LONG).
_LENGTHS = {"Name": 255, "FirstName": 40, "LastName": 80, "Title": 128, "Email": 80, "Subject": 255, "Phone": 40}
_LENGTHS |= {"MailingCity": 40, "MailingCountry": 80, "BillingCity": 40, "BillingCountry": 80, "Website": 255}


def salesforce_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def salesforce_date(moment: datetime | date) -> str:
    return (moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment).isoformat()


def _company(c: Any) -> dict[str, Any]:
    return {
        "Name": c.name,
        "Website": c.domain,
        "Description": f"Industry: {c.industry} (SimCRM)",
        "BillingCity": c.city,
        "BillingCountry": c.country,
        "NumberOfEmployees": c.employees,
    }


def _contact(c: Any) -> dict[str, Any]:
    return {
        "FirstName": c.firstname,
        "LastName": c.lastname or "(unknown)",
        "Email": c.email,
        "Title": c.jobtitle,
        "Phone": c.phone,
        "MailingCity": c.city,
        "MailingCountry": c.country,
        LIFECYCLE: LIFECYCLE_STAGES.get(c.lifecyclestage, c.lifecyclestage),
    }


def _deal(d: Any) -> dict[str, Any]:
    return {
        "Name": d.name,
        "Amount": d.amount,
        "CloseDate": salesforce_date(d.closedate),
        "StageName": DEAL_STAGES[d.dealstage],
    }


def _task(subject: str, body: str, subtype: str, at: datetime, **more: Any) -> dict[str, Any]:
    return {
        "Subject": subject,
        "Description": body,
        "TaskSubtype": subtype,
        "ActivityDate": salesforce_date(at),
        "Status": "Completed",
        "Priority": "Normal",
        **more,
    }


def _email(e: Any) -> dict[str, Any]:
    return _task(e.hs_email_subject, e.hs_email_text, "Email", e.occurred_at)


def _call(c: Any) -> dict[str, Any]:
    return _task(
        c.hs_call_title,
        c.hs_call_body,
        "Call",
        c.occurred_at,
        CallType=_CALL_TYPES.get(c.hs_call_direction, "Outbound"),
        CallDurationInSeconds=round(c.hs_call_duration / 1000),
    )


def _note(n: Any) -> dict[str, Any]:
    first_line = (n.hs_note_body or "").strip().splitlines()[0] if (n.hs_note_body or "").strip() else ""
    return _task(f"Note: {first_line}" if first_line else "Note", n.hs_note_body, "Task", n.occurred_at)


def _todo(t: Any) -> dict[str, Any]:
    return _task(
        t.hs_task_subject,
        t.hs_task_body,
        "Task",
        t.due_at,
        Status=_TASK_STATUSES.get(t.hs_task_status, "Not Started"),
        Priority=_TASK_PRIORITIES.get(t.hs_task_priority, "Normal"),
    )


def _meeting(m: Any) -> dict[str, Any]:
    return {
        "Subject": m.hs_meeting_title,
        "Description": m.hs_meeting_body,
        "StartDateTime": salesforce_datetime(m.hs_meeting_start_time),
        "EndDateTime": salesforce_datetime(m.hs_meeting_end_time),
    }


_FIELDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "companies": _company,
    "contacts": _contact,
    "deals": _deal,
    "emails": _email,
    "calls": _call,
    "notes": _note,
    "tasks": _todo,
    "meetings": _meeting,
}


def record_fields(kind: str, record: Any, key: str) -> dict[str, str]:
    """A record's Salesforce fields as text (Salesforce's JSON takes numbers as text too; the session sends them
    as numbers), with its SimCRM id and its simulated creation instant."""
    created = salesforce_datetime(record.occurred_at or record.created_at)
    fields = {**_FIELDS[kind](record), EXTERNAL_ID: key, CREATED_AT: created, "CreatedDate": created}
    return {name: _text(name, value) for name, value in fields.items() if value is not None and value != ""}


def lookups(kind: str, associations: list[tuple[str, str]]) -> dict[str, str]:
    """The lookup fields of a record from its associations ((SimCRM kind, Salesforce id) of each record it is
    associated with): a contact's account; a deal's account and contact; an activity's contact (WhoId) and its
    deal, or its company where it has no deal (WhatId)."""
    ids = dict(associations)
    if kind == "contacts":
        return {"AccountId": ids["companies"]} if "companies" in ids else {}
    if kind == "deals":
        return {name: ids[end] for name, end in (("AccountId", "companies"), ("ContactId", "contacts")) if end in ids}
    found = {"WhoId": ids.get("contacts"), "WhatId": ids.get("deals") or ids.get("companies")}
    return {name: value for name, value in found.items() if value}


def _text(name: str, value: Any) -> str:
    text = salesforce_datetime(value) if isinstance(value, datetime) else str(value)
    limit = _LENGTHS.get(name)
    return text[:limit] if limit else text


def typed(fields: dict[str, str]) -> dict[str, Any]:
    """The record's JSON: numbers as numbers."""
    return {
        name: (float(value) if name == "Amount" else int(value)) if name in NUMBERS else value
        for name, value in fields.items()
    }
