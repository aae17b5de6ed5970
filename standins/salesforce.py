"""A local stand-in for the Salesforce REST API subset SimCRM delivers to, spoken over real HTTP.

Shipped with SimCRM so anyone can try delivery without an org::

    python manage.py salesforce_standin --port 8766
    # then POST /api/connections/ {"kind": "salesforce", "instance_url": "http://127.0.0.1:8766",
    #                              "client_id": "<printed>", "client_secret": "<printed>", ...}

In-process (tests)::

    with SalesforceStandIn(daily_limit=15_000, latency_ms=1500) as org:
        org.expire_tokens()          # every token issued so far answers 401 INVALID_SESSION_ID
        org.exhaust_daily()          # the allocation is used up (by "other apps"): 403 REQUEST_LIMIT_EXCEEDED
        org.fail_next(2)             # the next 2 data requests answer 503 SERVER_UNAVAILABLE
        org.lose_next_answers(1)     # the next write is applied, then the connection drops
        org.objects("Contact"), org.records_by_external_id("Contact"), org.max_in_flight, org.requests

What it holds: the sObjects Account, Contact, Opportunity, OpportunityContactRole, Task and Event with the
standard fields SimCRM uses (not all of Salesforce's), plus the custom fields created through the Tooling API.
``GET /_standin/state`` (no token) says what it holds, ``GET /_standin/objects/<sObject>`` lists one sObject's
records, and ``GET /<record id>`` answers a record's fields (where an org shows the record's page).

Each behaviour, and where it comes from ("documented": Salesforce's REST, Tooling, OAuth or object reference
documentation says so; "observed": what orgs answer, not in the documentation; "assumed": a choice of this
stand-in):

- ``POST /services/oauth2/token``, the OAuth 2.0 client credentials flow: documented, the answer's fields and
  the errors ``invalid_client`` / ``unsupported_grant_type`` included. Token requests do not count against the
  daily allocation: documented (OAuth calls are not API calls). A token lives ``token_seconds``: assumed (an
  org's session timeout, 2 hours by default, documented).
- A missing, unknown or expired token: 401 ``INVALID_SESSION_ID`` "Session expired or invalid", documented;
  not counted: assumed.
- Every other ``/services/data`` request counts one against the daily allocation (one that then fails
  validation too); ``Sforce-Limit-Info: api-usage=N/M`` on each answer; 403 ``REQUEST_LIMIT_EXCEEDED``
  "TotalRequests Limit exceeded." past it; ``GET /limits`` ``DailyApiRequests``: documented. A request refused
  for the limit is not counted: assumed.
- ``GET /sobjects/<sObject>/describe``: documented shape (DescribeSObjectResult), a subset of its keys.
  ``CreatedDate`` is createable only where the org lets the user set audit fields ("Set Audit Fields upon
  Record Creation"), and only on insert: documented. An upsert that inserts still refuses it: assumed.
  Picklist values: the standard ones; a default (Task Status "Not Started", Priority "Normal") is marked
  ``defaultValue: true`` and filled in on insert, as documented.
- ``POST /tooling/sobjects/CustomField`` {FullName, Metadata}: documented. ``DUPLICATE_DEVELOPER_NAME``'s
  wording: observed. ``INSUFFICIENT_ACCESS`` when field creation is refused: observed (a user without
  "Customize Application"). A bad FullName answers ``INVALID_FIELD``, an unknown Metadata.type
  ``JSON_PARSER_ERROR``, a Text field without a length of 1..255 ``FIELD_INTEGRITY_EXCEPTION``: assumed.
- sObject Collections (``POST``/``PATCH /composite/sobjects``, ``PATCH /composite/sobjects/<sObject>/<field>``):
  1..200 records, one result per record in request order, ``allOrNone`` with
  ``ALL_OR_NONE_OPERATION_ROLLED_BACK``, upsert's ``created``: documented. ``INVALID_BATCH_SIZE`` for another
  count: assumed. Whole-request 400s: an unknown field (``INVALID_FIELD`` "No such column ..."), a record
  without ``attributes.type`` (``INVALID_TYPE`` "Must send a concrete entity type."), a value that is not of
  its field's type, e.g. a malformed date or datetime (``JSON_PARSER_ERROR`` "Cannot deserialize instance of
  ..."): observed (orgs fail the whole body's deserialisation, not one record).
- Per-record errors, codes documented (StatusCode), wording observed: ``DUPLICATE_VALUE`` (unique fields
  compare case-insensitively, each record against the ones before it in the batch too),
  ``REQUIRED_FIELD_MISSING``, ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``INVALID_FIELD_FOR_INSERT_UPDATE``
  (read-only fields, and ``Id`` in an insert or upsert), ``INVALID_CROSS_REFERENCE_KEY`` (an id the org does not
  hold, or of another sObject), ``INVALID_FIELD`` for a relationship by external id that finds nothing,
  ``STRING_TOO_LONG`` past the length the describe gives. Assumed: an update of an id the org does not hold
  answers ``ENTITY_IS_DELETED`` "entity is deleted", an update without Id ``MISSING_ARGUMENT``, an id of
  another sObject or of a bad length ``MALFORMED_ID``; an upsert record without its key ``MISSING_ARGUMENT``,
  one whose key is repeated in the batch or held by several records ``DUPLICATE_EXTERNAL_ID``. One error per
  record (an org may list several).
- Relationships by external id (``"Account": {"SimCRM_Id__c": "x"}``; a polymorphic one, What, names its
  sObject in ``attributes.type``; Who is a Contact here): documented. 15-character ids are taken as their
  18-character form: documented.
- Derived fields, documented: an Opportunity's IsClosed and IsWon follow its StageName (the default sales
  process: Closed Won is closed and won, Closed Lost closed); an Opportunity inserted with ContactId gets a
  primary OpportunityContactRole (Role null); a Task gets CompletedDateTime when its Status becomes
  Completed; CreatedDate is the insert's moment (or the given one, audit fields allowing), LastModifiedDate
  each write's. Values are stored as sent (a datetime keeps its text), numbers as numbers.
- Datetimes ``YYYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm|±hhmm)`` and dates ``YYYY-MM-DD``: documented formats; a
  datetime without a zone is refused: assumed.
- ``GET /query?q=`` SOQL, of which only ``SELECT f, ... FROM o [WHERE f IN ('a', ...) | f = 'a'] [LIMIT n]``
  (keywords, sObject and field names case-insensitive, string comparison case-insensitive, ``\\'`` escapes):
  a subset, assumed; ``MALFORMED_QUERY`` for anything else, ``INVALID_FIELD``, ``INVALID_TYPE``: documented
  codes. At most 2,000 records per answer (documented batch size), always ``done: true`` with no
  ``nextRecordsUrl`` (a deviation: past 2,000 the rest is not reachable; totalSize counts the records given).
- ``GET /sobjects/<sObject>/<external id field>/<value>`` (and ``/sobjects/<sObject>/<id>``): documented; 300
  with the records' URLs when several hold the value: documented.
- ``POST /composite`` and ``/tooling/composite`` (up to 25 subrequests, one API call): documented.
- Unknown routes: 404 ``NOT_FOUND``; a body that is not JSON: 400 ``JSON_PARSER_ERROR``: documented codes.
- Ids: 18 characters, the sObject's documented key prefix (001, 003, 006, 00K, 00T, 00U, 00N), then a serial;
  no real checksum.

This module must not import Django: it runs standalone (``python -m standins.salesforce``).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from standins.server import JsonAnswer, JsonHandler, JsonStandIn

STANDIN_CLIENT_ID = "3MVG9standin.simcrm.local"
STANDIN_CLIENT_SECRET = "standin-secret-0123456789ABCDEF"  # noqa: S105 - a fake secret, printed for the user
API_VERSION = "62.0"
BATCH_LIMIT = 200
ORG_ID = "00D000000000001AAA"
USER_ID = "005000000000001AAA"
QUERY_LIMIT = 2000  # records in one query answer
COMPOSITE_LIMIT = 25  # subrequests in one composite request

_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
_INDUSTRIES = (
    *("Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction"),
    *("Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental"),
    *("Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery"),
    *("Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology"),
    *("Telecommunications", "Transportation", "Utilities", "Other"),
)
_LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
_ROLES = (
    *("Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator"),
    *("Executive Sponsor", "Influencer", "Technical Buyer", "Other"),
)
_TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")


@dataclass(frozen=True)
class _Field:
    """A field as the describe gives it, and what a write may do with it."""

    type: str
    length: int = 0  # a text field's most characters (STRING_TOO_LONG past it)
    required: bool = False
    createable: bool = True
    updateable: bool = True
    picklist: tuple[str, ...] = ()
    restricted: bool = False  # a restricted picklist takes its values only
    default: str | None = None  # set on insert when not given
    references: tuple[str, ...] = ()
    external_id: bool = False
    unique: bool = False
    custom: bool = False


_TEXT_TYPES = frozenset({"string", "textarea", "url", "email", "phone", "picklist", "combobox"})
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})


def _text(length: int, type_: str = "string", **options: Any) -> _Field:
    return _Field(type_, length, **options)


def _picklist(values: tuple[str, ...], *, restricted: bool = False, **options: Any) -> _Field:
    return _Field("picklist", 255, picklist=values, restricted=restricted, **options)


def _reference(*sobjects: str, **options: Any) -> _Field:
    return _Field("reference", 18, references=sobjects, **options)


_READ_ONLY: dict[str, Any] = {"createable": False, "updateable": False}


def _standard(**fields: _Field) -> dict[str, _Field]:
    return {
        "Id": _Field("id", 18, **_READ_ONLY),
        **fields,
        "CreatedDate": _Field("datetime", updateable=False),  # createable only with audit fields (see describe)
        "LastModifiedDate": _Field("datetime", **_READ_ONLY),
    }


_DESCRIPTION = _text(32000, "textarea")
_ACTIVITY_LOOKUPS = {"WhoId": _reference("Contact"), "WhatId": _reference("Account", "Opportunity")}
SOBJECTS: dict[str, dict[str, _Field]] = {
    "Account": _standard(
        Name=_text(255, required=True),
        Website=_text(255, "url"),
        Industry=_picklist(_INDUSTRIES),
        Description=_DESCRIPTION,
        BillingCity=_text(40),
        BillingCountry=_text(80),
        NumberOfEmployees=_Field("int"),
        Phone=_text(40, "phone"),
    ),
    "Contact": _standard(
        FirstName=_text(40),
        LastName=_text(80, required=True),
        Email=_text(80, "email"),
        Title=_text(128),
        Phone=_text(40, "phone"),
        MailingCity=_text(40),
        MailingCountry=_text(80),
        AccountId=_reference("Account"),
        LeadSource=_picklist(_LEAD_SOURCES),
        Description=_DESCRIPTION,
    ),
    "Opportunity": _standard(
        Name=_text(120, required=True),
        StageName=_picklist(_STAGES, restricted=True, required=True),
        Amount=_Field("currency"),
        CloseDate=_Field("date", required=True),
        AccountId=_reference("Account"),
        ContactId=_reference("Contact", updateable=False),
        Probability=_Field("percent"),
        IsClosed=_Field("boolean", **_READ_ONLY),
        IsWon=_Field("boolean", **_READ_ONLY),
        Description=_DESCRIPTION,
    ),
    "OpportunityContactRole": _standard(
        OpportunityId=_reference("Opportunity"),
        ContactId=_reference("Contact"),
        Role=_picklist(_ROLES),
        IsPrimary=_Field("boolean"),
    ),
    "Task": _standard(
        Subject=_text(255, "combobox"),
        Description=_DESCRIPTION,
        ActivityDate=_Field("date"),
        Status=_picklist(_TASK_STATUSES, restricted=True, default="Not Started"),
        Priority=_picklist(("High", "Normal", "Low"), restricted=True, default="Normal"),
        TaskSubtype=_picklist(("Task", "Email", "Call", "ListEmail", "Cadence"), restricted=True, updateable=False),
        CallType=_picklist(("Internal", "Inbound", "Outbound"), restricted=True),
        CallDurationInSeconds=_Field("int"),
        **_ACTIVITY_LOOKUPS,
        CompletedDateTime=_Field("datetime", **_READ_ONLY),
    ),
    "Event": _standard(
        Subject=_text(255, "combobox"),
        Description=_DESCRIPTION,
        StartDateTime=_Field("datetime", required=True),
        EndDateTime=_Field("datetime"),
        DurationInMinutes=_Field("int"),
        ActivityDateTime=_Field("datetime"),
        **_ACTIVITY_LOOKUPS,
    ),
}
KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Task": "00T",
    "Event": "00U",
    "CustomField": "00N",
}
_SOBJECT_BY_PREFIX = {prefix: name for name, prefix in KEY_PREFIXES.items() if name in SOBJECTS}
# A relationship field by its relationship name: "Account": {"SimCRM_Id__c": "..."} sets AccountId.
_RELATIONSHIPS = {
    sobject: {name[:-2]: name for name, spec in fields.items() if spec.type == "reference"}
    for sobject, fields in SOBJECTS.items()
}
_METADATA_TYPES = {
    "Text": "string",
    "DateTime": "datetime",
    "Date": "date",
    "Number": "double",
    "Checkbox": "boolean",
    "LongTextArea": "textarea",
}
_DATA_PATH = re.compile(r"/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)")
_CUSTOM_FIELD = re.compile(r"(?P<sobject>\w+)\.(?P<name>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__c)")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ID = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")
_SOQL_STRING = r"'(?:[^'\\]|\\.)*'"
_QUERY = re.compile(
    r"\s*SELECT\s+(?P<fields>\w+(?:\s*,\s*\w+)*)\s+FROM\s+(?P<sobject>\w+)"
    rf"(?:\s+WHERE\s+(?P<field>\w+)\s*(?:IN\s*\(\s*(?P<values>{_SOQL_STRING}(?:\s*,\s*{_SOQL_STRING})*)\s*\)"
    rf"|=\s*(?P<value>{_SOQL_STRING})))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*",
    re.IGNORECASE | re.DOTALL,
)
_SOQL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_RECORD_PAGE = re.compile(r"/(?P<id>[0-9A-Za-z]{3}[0-9]{12}AAA)")
_SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
_NOT_FOUND_MESSAGE = "The requested resource does not exist"
_NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": _NOT_FOUND_MESSAGE}]
_LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
_NOT_WRITABLE = (
    "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is "
    "read/write for your profile or permission set."
)
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}
_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class RequestRecord:
    """One request the stand-in answered (or dropped): `records` is how many records its body carried."""

    time: float
    method: str
    path: str
    status: int = 0
    records: int = 0
    answered: bool = True  # False: applied, then the connection closed without an answer
    counted: bool = False  # counted against the daily allocation


_Answer = JsonAnswer


class _Refused(Exception):
    """A refusal: of the whole request (answered `[{message, errorCode}]` with `status`), or of one record."""

    def __init__(self, status: int, code: str, message: str, *fields: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, list(fields)

    def record_error(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}

    def body(self) -> list[dict[str, str]]:
        return [{"message": self.message, "errorCode": self.code}]


def _record_refused(code: str, message: str, *fields: str) -> _Refused:
    return _Refused(400, code, message, *fields)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _full_id(value: str) -> str:
    """An id in its 18-character form (the stand-in's ids end in AAA, its checksum)."""
    return f"{value}AAA" if len(value) == 15 else value


def _unescape(value: str) -> str:
    """A SOQL string literal's value: its quotes off, `\\'` and the other backslash escapes undone."""
    return re.sub(r"\\(.)", lambda m: _SOQL_ESCAPES.get(m.group(1), m.group(1)), value[1:-1], flags=re.DOTALL)


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    return "START_OBJECT" if isinstance(value, dict) else "START_ARRAY"


def _typed(spec: _Field, value: Any) -> Any:
    """The value as the field holds it, or ValueError when it is not of the field's type (None is any type's)."""
    if value is None:
        return None
    kind = spec.type
    if kind in ("int", *_NUMBER_TYPES):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        if isinstance(value, str) and not (_INTEGER if kind == "int" else _NUMBER).fullmatch(value.strip()):
            raise ValueError
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        return float(value)
    if kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind in ("date", "datetime"):
        pattern = _DATE if kind == "date" else _DATETIME
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError
        if kind == "date":
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value
    if kind in ("id", "reference"):
        if not isinstance(value, str):
            raise ValueError
        return value
    if isinstance(value, dict | list):
        raise ValueError
    return value if isinstance(value, str) else json.dumps(value)


class SalesforceStandIn(JsonStandIn):
    """A threaded HTTP server on 127.0.0.1 that answers like a Salesforce org (the subset SimCRM uses)."""

    handler = JsonHandler

    def __init__(
        self,
        *,
        port: int = 0,
        client_id: str = STANDIN_CLIENT_ID,
        client_secret: str = STANDIN_CLIENT_SECRET,
        daily_limit: int = 15_000,
        latency_ms: float = 0.0,
        token_seconds: float = 7200.0,
        audit_fields: bool = True,
        field_creation: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name="salesforce-standin", host="127.0.0.1", port=port)
        self.client_id, self.client_secret = client_id, client_secret
        self.daily_limit = daily_limit
        self.latency = latency_ms / 1000  # seconds before each answer, jittered ±latency_jitter
        self.latency_jitter = 0.25
        self.token_seconds = token_seconds
        self.audit_fields = audit_fields
        self.field_creation = field_creation
        self.requests: list[RequestRecord] = []
        self.duplicates_refused = 0  # records refused as DUPLICATE_VALUE
        self.in_flight = 0  # data requests being handled (their answer's delay included)
        self.max_in_flight = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._local = threading.local()
        self._latency_random = random.Random(latency_ms)
        self._tokens: dict[str, float] = {}  # token -> when it expires (by clock)
        self._issued: list[str] = []
        self._daily_used = 0
        self._others = 0  # requests "other apps" used (exhaust_daily)
        self._lose = 0
        self._lose_path = re.compile("")
        self._fail: deque[int] = deque()
        self._next_id = 0
        self._fields: dict[str, dict[str, _Field]] = {name: dict(fields) for name, fields in SOBJECTS.items()}
        self._records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SOBJECTS}
        # sObject -> unique or external id field -> value in lower case -> ids holding it (oldest first):
        # a lookup is one dict read, never a scan of the org.
        self._index: dict[str, dict[str, dict[str, list[str]]]] = {name: {} for name in SOBJECTS}
        # While an allOrNone request writes: (sObject, id, the record before) of each write, to undo them.
        self._journal: list[tuple[str, str, dict[str, Any] | None]] | None = None

    # -- control ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def expire_tokens(self) -> None:
        """Every token issued so far answers 401 from now on."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, float("-inf"))

    def tokens_issued(self) -> list[str]:
        with self._lock:
            return list(self._issued)

    def reset_daily(self) -> None:
        with self._lock:
            self._daily_used = self._others = 0

    def exhaust_daily(self) -> None:
        """The allocation counts as fully used, as if other apps had used what SimCRM did not."""
        with self._lock:
            self._others = max(0, self.daily_limit - self._daily_used)

    @property
    def daily_used(self) -> int:
        with self._lock:
            return self._daily_used + self._others

    def fail_next(self, n: int, status: int = 503) -> None:
        """The next n data requests (authenticated, counted) answer `status` with SERVER_UNAVAILABLE."""
        with self._lock:
            self._fail.extend([status] * n)

    def lose_next_answers(self, n: int, *, path: str = "") -> None:
        """Apply the next n write requests (whose path the regular expression `path` finds) fully, then close
        the connection without answering."""
        with self._lock:
            self._lose += n
            self._lose_path = re.compile(path)

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Held while a request is handled and its answer delayed: a data request counts in in_flight
        (handle marks it) until its answer goes."""
        self._local.data = False
        try:
            yield
        finally:
            if self._local.data:
                with self._lock:
                    self.in_flight -= 1

    def answer_delay(self) -> float:
        """How long the next answer waits: `latency`, give or take `latency_jitter` of it."""
        if self.latency <= 0:
            return 0.0
        with self._lock:
            spread = self._latency_random.uniform(-self.latency_jitter, self.latency_jitter)
        return self.latency * (1 + spread)

    # -- read-back -------------------------------------------------------------------------------
    def objects(self, sobject: str) -> dict[str, dict[str, Any]]:
        """{id: {field: value}} of every record of `sobject`."""
        with self._lock:
            return {id_: dict(fields) for id_, fields in self._records[sobject].items()}

    def records_by_external_id(self, sobject: str, field: str = "SimCRM_Id__c") -> dict[str, list[str]]:
        """{value: [ids holding it]}: a list, so duplicates show."""
        with self._lock:
            held: dict[str, list[str]] = {}
            for id_, fields in self._records[sobject].items():
                if fields.get(field) is not None:
                    held.setdefault(str(fields[field]), []).append(id_)
            return held

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "orgId": ORG_ID,
                "objects": {name: len(records) for name, records in self._records.items()},
                "customFields": {
                    name: [field for field, spec in fields.items() if spec.custom]
                    for name, fields in self._fields.items()
                },
                "requests": len(self.requests),
                "dailyUsed": self._daily_used + self._others,
                "dailyLimit": self.daily_limit,
                "maxInFlight": self.max_in_flight,
            }

    # -- serving ---------------------------------------------------------------------------------
    def handle(self, method: str, target: str, authorization: str, raw: bytes) -> _Answer:
        path, _, query_string = target.partition("?")
        if method == "GET" and path == "/_standin/state":
            return _Answer(200, self.state())
        if method == "GET" and path.startswith("/_standin/objects/"):
            sobject = path.removeprefix("/_standin/objects/")
            if sobject not in SOBJECTS:
                return _Answer(404, _NOT_FOUND)
            return _Answer(200, list(self.objects(sobject).values()))
        page = _RECORD_PAGE.fullmatch(path)
        if method == "GET" and page is not None:
            # A record's page in an org (`<My Domain>/<id>`): the stand-in answers with the record's fields.
            with self._lock:
                found = next((held[page["id"]] for held in self._records.values() if page["id"] in held), None)
                return _Answer(200, dict(found)) if found is not None else _Answer(404, _NOT_FOUND)
        with self._lock:
            record = RequestRecord(time=self._clock(), method=method, path=path)
            self.requests.append(record)
            answer = self._answer(record, authorization, query_string, raw)
            record.status, record.answered = answer.status, not answer.drop
            return answer

    def _answer(self, record: RequestRecord, authorization: str, query_string: str, raw: bytes) -> _Answer:
        if record.path == "/services/oauth2/token":
            return self._token(raw) if record.method == "POST" else _Answer(404, _NOT_FOUND)
        data = _DATA_PATH.fullmatch(record.path)
        if data is None:
            return _Answer(404, _NOT_FOUND)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._local.data = True
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or self._tokens.get(token.strip(), float("-inf")) <= self._clock():
            return _Answer(401, _SESSION_EXPIRED)
        if self._daily_used + self._others >= self.daily_limit:
            return _Answer(403, _LIMIT_EXCEEDED, self._usage_header())
        self._daily_used += 1
        record.counted = True
        headers = self._usage_header()
        if self._fail:
            status = self._fail.popleft()
            message = "Server temporarily unavailable, please try again later"
            return _Answer(status, [{"errorCode": "SERVER_UNAVAILABLE", "message": message}], headers)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError as error:
            return _Answer(400, [{"errorCode": "JSON_PARSER_ERROR", "message": f"Unexpected JSON: {error}"}], headers)
        if isinstance(body, dict) and isinstance(body.get("records"), list):
            record.records = len(body["records"])
        try:
            status, answer = self._route(record.method, data["version"], data["rest"], parse_qs(query_string), body)
        except _Refused as refused:
            status, answer = refused.status, refused.body()
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # a stand-in bug, answered as an org's
            status, answer = 500, [{"errorCode": "UNKNOWN_EXCEPTION", "message": f"An unexpected error: {error!r}"}]
        drop = record.method in _WRITES and self._lose > 0 and self._lose_path.search(record.path) is not None
        if drop:
            self._lose -= 1
        return _Answer(status, answer, headers, drop)

    def _usage_header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self._daily_used + self._others}/{self.daily_limit}"}

    def _token(self, raw: bytes) -> _Answer:
        form = {name: values[0] for name, values in parse_qs(raw.decode(errors="replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return _Answer(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return _Answer(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        token = f"{ORG_ID}!AQ{secrets.token_urlsafe(48)}"
        self._tokens[token] = self._clock() + self.token_seconds
        self._issued.append(token)
        issued = {
            "access_token": token,
            "instance_url": self.base_url,
            "id": f"{self.base_url}/id/{ORG_ID}/{USER_ID}",
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
            "scope": "api",
        }
        return _Answer(200, issued)

    def _route(self, method: str, version: str, rest: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        parts = [unquote(part) for part in rest.strip("/").split("/")]
        if method == "GET" and parts == ["limits"]:
            used = self._daily_used + self._others
            return 200, {
                "DailyApiRequests": {"Max": self.daily_limit, "Remaining": max(0, self.daily_limit - used)},
                "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
            }
        if method == "GET" and len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe":
            return 200, self._describe(parts[1])
        if method == "GET" and len(parts) == 3 and parts[0] == "sobjects":
            return self._get_record(version, parts[1], "Id", parts[2])
        if method == "GET" and len(parts) == 4 and parts[0] == "sobjects":
            return self._get_record(version, parts[1], parts[2], parts[3])
        if method == "POST" and parts == ["tooling", "sobjects", "CustomField"]:
            return 201, self._custom_field(body)
        if method == "POST" and parts in (["composite"], ["tooling", "composite"]):
            return 200, self._composite(body, tooling=parts[0] == "tooling")
        if method == "GET" and parts == ["query"]:
            return 200, self._query(version, query.get("q", [""])[0])
        if method == "POST" and parts == ["composite", "sobjects"]:
            return 200, self._write(body, mode="insert")
        if method == "PATCH" and parts == ["composite", "sobjects"]:
            return 200, self._write(body, mode="update")
        if method == "PATCH" and len(parts) == 4 and parts[:2] == ["composite", "sobjects"]:
            return 200, self._write(body, mode="upsert", sobject=parts[2], key=parts[3])
        raise _Refused(404, "NOT_FOUND", _NOT_FOUND_MESSAGE)

    def _composite(self, body: Any, *, tooling: bool) -> dict[str, Any]:
        """Up to 25 subrequests in one request (one call against the allocation), each answered in order with its
        own status; a Tooling API composite takes Tooling API paths only, and the REST one the others."""
        subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
        if not isinstance(subrequests, list) or not 1 <= len(subrequests) <= COMPOSITE_LIMIT:
            raise _Refused(400, "INVALID_BATCH_SIZE", f"compositeRequest holds 1 to {COMPOSITE_LIMIT} subrequests")
        answers = []
        for subrequest in subrequests:
            url = str(subrequest.get("url", "")) if isinstance(subrequest, dict) else ""
            path, _, query_string = url.partition("?")
            data = _DATA_PATH.fullmatch(path)
            rest = data["rest"] if data else ""
            try:
                if data is None or rest.startswith("/tooling/") != tooling or "composite" in rest:
                    raise _Refused(400, "INVALID_URL", f"This composite cannot run {url!r}")
                method = str(subrequest.get("method", "GET"))
                status, answer = self._route(
                    method, data["version"], rest, parse_qs(query_string), subrequest.get("body")
                )
            except _Refused as refused:
                status, answer = refused.status, refused.body()
            answers.append(
                {
                    "body": answer,
                    "httpHeaders": {},
                    "httpStatusCode": status,
                    "referenceId": subrequest.get("referenceId"),
                }
            )
        return {"compositeResponse": answers}

    # -- metadata --------------------------------------------------------------------------------
    def _fields_of(self, sobject: str) -> dict[str, _Field]:
        fields = self._fields.get(sobject)
        if fields is None:
            raise _Refused(404, "NOT_FOUND", _NOT_FOUND_MESSAGE)
        return fields

    def _describe(self, sobject: str) -> dict[str, Any]:
        fields = []
        for name, spec in self._fields_of(sobject).items():
            fields.append(
                {
                    "name": name,
                    "label": name.removesuffix("__c").replace("_", " "),
                    "type": spec.type,
                    "createable": spec.createable and (name != "CreatedDate" or self.audit_fields),
                    "updateable": spec.updateable,
                    "nillable": not spec.required and spec.type not in ("id", "boolean") and name != "LastModifiedDate",
                    "externalId": spec.external_id,
                    "unique": spec.unique,
                    "length": spec.length,
                    "custom": spec.custom,
                    "defaultedOnCreate": spec.default is not None or name in ("Id", "CreatedDate", "LastModifiedDate"),
                    "referenceTo": list(spec.references),
                    "relationshipName": name[:-2] if spec.type == "reference" else None,
                    "restrictedPicklist": spec.restricted,
                    "picklistValues": [
                        {"value": value, "label": value, "active": True, "defaultValue": value == spec.default}
                        for value in spec.picklist
                    ],
                }
            )
        return {"name": sobject, "custom": False, "fields": fields}

    def _custom_field(self, body: Any) -> dict[str, Any]:
        if not self.field_creation:
            raise _Refused(403, "INSUFFICIENT_ACCESS", "insufficient access rights on cross-reference id")
        if not isinstance(body, dict):
            raise _Refused(400, "JSON_PARSER_ERROR", "A CustomField is {FullName, Metadata}")
        full_name = body.get("FullName")
        match = _CUSTOM_FIELD.fullmatch(full_name) if isinstance(full_name, str) else None
        if match is None or match["sobject"] not in SOBJECTS:
            raise _Refused(400, "INVALID_FIELD", f"Invalid FullName {full_name!r}: a custom field is Object.Name__c")
        sobject, name = match["sobject"], match["name"]
        metadata = body.get("Metadata")
        if not isinstance(metadata, dict):
            raise _Refused(400, "JSON_PARSER_ERROR", "Metadata must be an object")
        kind = _METADATA_TYPES.get(str(metadata.get("type")))
        if kind is None:
            raise _Refused(
                400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of FieldType from value {metadata.get('type')}"
            )
        if any(held.lower() == name.lower() for held in self._fields[sobject]):
            raise _Refused(400, "DUPLICATE_DEVELOPER_NAME", f"There is already a field named {name} on {sobject}.")
        given = metadata.get("length")
        length = given if isinstance(given, int) and not isinstance(given, bool) else 0
        if kind == "string" and not 1 <= length <= 255:
            raise _Refused(400, "FIELD_INTEGRITY_EXCEPTION", "Length: a Text field's length is 1 to 255")
        if kind == "textarea":
            length = length or 32768
        spec = _Field(
            kind,
            length if kind in ("string", "textarea") else 0,
            external_id=bool(metadata.get("externalId")),
            unique=bool(metadata.get("unique")),
            custom=True,
        )
        self._fields[sobject][name] = spec
        if spec.external_id or spec.unique:
            self._index[sobject][name] = {}
        return {"id": self._new_id("CustomField"), "success": True, "errors": [], "warnings": [], "infos": []}

    # -- records ---------------------------------------------------------------------------------
    def _new_id(self, sobject: str) -> str:
        self._next_id += 1
        return f"{KEY_PREFIXES[sobject]}{self._next_id:012d}AAA"

    def _put(self, sobject: str, id_: str, new: dict[str, Any] | None) -> None:
        """Hold `new` as the record `id_` (None: no record), its index entries kept; journaled for allOrNone."""
        held, index = self._records[sobject], self._index[sobject]
        old = held.get(id_)
        if self._journal is not None:
            self._journal.append((sobject, id_, old))
        if old is not None:
            for field, values in index.items():
                if old.get(field) is not None:
                    key = str(old[field]).lower()
                    values[key].remove(id_)
                    if not values[key]:
                        del values[key]
        if new is None:
            held.pop(id_, None)
            return
        held[id_] = new
        for field, values in index.items():
            if new.get(field) is not None:
                values.setdefault(str(new[field]).lower(), []).append(id_)

    def _holders(self, sobject: str, field: str, value: Any) -> list[str]:
        return self._index[sobject].get(field, {}).get(str(value).lower(), [])

    def _collection(self, body: Any, *, mode: str, sobject: str, key: str) -> tuple[list[dict[str, Any]], bool]:
        """The records, once the whole request is valid: its shape, each record's type, field names and values."""
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise _Refused(400, "JSON_PARSER_ERROR", "A collection's body is {allOrNone, records: [...]}")
        records: list[Any] = body["records"]
        if not 1 <= len(records) <= BATCH_LIMIT:
            raise _Refused(400, "INVALID_BATCH_SIZE", f"A collection holds 1 to {BATCH_LIMIT} records")
        if mode == "upsert":
            spec = self._fields_of(sobject).get(key)
            if spec is None or not spec.external_id:
                raise _Refused(400, "INVALID_FIELD", f"Field {key} is not an external ID field of {sobject}")
        for record in records:
            if not isinstance(record, dict):
                raise _Refused(400, "JSON_PARSER_ERROR", "Each record is a JSON object")
            attributes = record.get("attributes")
            typed = attributes.get("type") if isinstance(attributes, dict) else None
            if not typed:
                raise _Refused(400, "INVALID_TYPE", "Must send a concrete entity type.")
            if typed not in SOBJECTS:
                raise _Refused(400, "INVALID_TYPE", f"sObject type '{typed}' is not supported.")
            if mode == "upsert" and typed != sobject:
                raise _Refused(400, "INVALID_TYPE", f"A {typed} record in an upsert of {sobject}")
            fields, relationships = self._fields[typed], _RELATIONSHIPS[typed]
            for name, value in record.items():
                if name == "attributes":
                    continue
                if name in relationships:
                    if not isinstance(value, dict):
                        raise _Refused(400, "JSON_PARSER_ERROR", f"Relationship {name} takes a JSON object")
                    continue
                spec = fields.get(name)
                if spec is None:
                    raise _Refused(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {typed}")
                try:
                    _typed(spec, value)
                except ValueError:
                    raise _Refused(
                        400,
                        "JSON_PARSER_ERROR",
                        f"Cannot deserialize instance of {spec.type} from {_json_kind(value)} value {value} or "
                        "request may be missing a required field",
                    ) from None
        return records, bool(body.get("allOrNone"))

    def _write(self, body: Any, *, mode: str, sobject: str = "", key: str = "") -> list[dict[str, Any]]:
        """Insert, update or upsert a collection: each record in order, checked against the org as the records
        before it left it; with allOrNone, every write is undone when one record fails."""
        records, all_or_none = self._collection(body, mode=mode, sobject=sobject, key=key)
        repeated: set[str] = set()
        if mode == "upsert":
            seen: set[str] = set()
            for record in records:
                if record.get(key) is not None:
                    value = str(record[key]).lower()
                    (repeated if value in seen else seen).add(value)
        self._journal = [] if all_or_none else None
        results: list[dict[str, Any]] = []
        try:
            for record in records:
                try:
                    results.append(self._save(record, mode=mode, key=key, repeated=repeated))
                except _Refused as refused:
                    if refused.code == "DUPLICATE_VALUE":
                        self.duplicates_refused += 1
                    results.append({"success": False, "errors": [refused.record_error()]})
            journal = self._journal
        finally:
            self._journal = None
        if journal is not None and not all(result["success"] for result in results):
            for held_sobject, id_, old in reversed(journal):
                self._put(held_sobject, id_, old)
            results = [
                result if not result["success"] else {"success": False, "errors": [dict(_ROLLED_BACK)]}
                for result in results
            ]
        return results

    def _save(self, record: dict[str, Any], *, mode: str, key: str, repeated: set[str]) -> dict[str, Any]:
        sobject = str(record["attributes"]["type"])
        fields = self._fields[sobject]
        values = {name: value for name, value in record.items() if name != "attributes"}
        existing: str | None = None
        if mode == "update":
            existing = self._existing(sobject, values.pop("Id", None))
        elif mode == "upsert":
            value = values.get(key)
            if value is None or value == "":
                raise _record_refused("MISSING_ARGUMENT", f"{key} not specified", key)
            if str(value).lower() in repeated:
                raise _record_refused("DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {value}", key)
            holders = self._holders(sobject, key, value)
            if len(holders) > 1:
                raise _record_refused(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{key}: more than one record found for external id field: {holders}",
                    key,
                )
            existing = holders[0] if holders else None
        inserting = existing is None
        for relationship, lookup in _RELATIONSHIPS[sobject].items():
            if relationship in values:
                reference = values.pop(relationship)
                if lookup in values:
                    raise _record_refused(
                        "INVALID_FIELD",
                        f"Cannot specify both an external ID reference {relationship} and a salesforce id, {lookup}",
                    )
                values[lookup] = self._resolve(sobject, relationship, lookup, reference)
        for name in values:
            spec = fields[name]
            if inserting:
                allowed = spec.createable and (name != "CreatedDate" or (mode == "insert" and self.audit_fields))
            else:
                allowed = spec.updateable
            if not allowed:
                raise _record_refused("INVALID_FIELD_FOR_INSERT_UPDATE", _NOT_WRITABLE.format(name), name)
        if inserting:
            for name, spec in fields.items():
                if spec.default is not None and name not in values:
                    values[name] = spec.default
        missing = [
            name
            for name, spec in fields.items()
            if spec.required and (inserting or name in values) and values.get(name) in (None, "")
        ]
        if sobject == "Event" and inserting and values.get("EndDateTime") is None:
            if values.get("DurationInMinutes") is None:
                missing.append("EndDateTime")
        if missing:
            raise _record_refused(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", *missing
            )
        for name, value in list(values.items()):
            values[name] = self._checked(sobject, name, fields[name], value, existing)
        return self._apply(sobject, existing, values, upsert=mode == "upsert")

    def _existing(self, sobject: str, id_: Any) -> str:
        """The id an update names, held by the org as a `sobject`."""
        if id_ is None or id_ == "":
            raise _record_refused("MISSING_ARGUMENT", "Id not specified in an update call")
        id_ = str(id_)
        if not _ID.fullmatch(id_) or _SOBJECT_BY_PREFIX.get(id_[:3], sobject) != sobject:
            raise _record_refused("MALFORMED_ID", f"{sobject} ID: id value of incorrect type: {id_}", "Id")
        id_ = _full_id(id_)
        if id_ not in self._records[sobject]:
            raise _record_refused("ENTITY_IS_DELETED", "entity is deleted")
        return id_

    def _checked(self, sobject: str, name: str, spec: _Field, value: Any, existing: str | None) -> Any:
        """The value to hold, or a record's refusal."""
        value = _typed(spec, value)  # valid: the request was checked
        if value is None:
            return None
        if spec.restricted and value not in spec.picklist:
            raise _record_refused(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f"bad value for restricted picklist field: {value}", name
            )
        if spec.type in _TEXT_TYPES and spec.length and len(value) > spec.length:
            raise _record_refused(
                "STRING_TOO_LONG", f"{name}: data value too large: {value[:40]} (max length={spec.length})", name
            )
        if spec.references:
            value = _full_id(value)
            if not any(value in self._records[target] for target in spec.references):
                raise _record_refused("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", name)
        if spec.unique:
            holders = [id_ for id_ in self._holders(sobject, name, value) if id_ != existing]
            if holders:
                raise _record_refused(
                    "DUPLICATE_VALUE", f"duplicate value found: {name} duplicates value on record with id: {holders[0]}"
                )
        return value

    def _resolve(self, sobject: str, relationship: str, lookup: str, reference: dict[str, Any]) -> str:
        """The id a relationship by external id names, e.g. "Account": {"SimCRM_Id__c": "…"}; a polymorphic one
        (What) names its sObject: {"attributes": {"type": "Opportunity"}, "SimCRM_Id__c": "…"}."""
        spec = self._fields[sobject][lookup]
        attributes = reference.get("attributes")
        target = attributes.get("type") if isinstance(attributes, dict) else None
        if target is None and len(spec.references) == 1:
            target = spec.references[0]
        if target not in spec.references:
            raise _record_refused(
                "INVALID_FIELD",
                f"{relationship} needs attributes.type, one of {', '.join(spec.references)} (got {target!r})",
                lookup,
            )
        pairs = [(name, value) for name, value in reference.items() if name != "attributes"]
        if len(pairs) != 1:
            raise _record_refused("INVALID_FIELD", f"{relationship} names one external ID field and its value", lookup)
        name, value = pairs[0]
        field = self._fields[target].get(name)
        if field is None or not field.external_id:
            raise _record_refused(
                "INVALID_FIELD", f"{name} is not an external ID field of {target} (relationship {relationship})", lookup
            )
        holders = self._holders(target, name, value)
        if not holders:
            raise _record_refused(
                "INVALID_FIELD", f"Foreign key external ID: {value} not found for field {name} in entity {target}"
            )
        if len(holders) > 1:
            raise _record_refused(
                "INVALID_FIELD", f"Foreign key external ID: {value} found more than once for field {name} in {target}"
            )
        return holders[0]

    def _apply(self, sobject: str, existing: str | None, values: dict[str, Any], *, upsert: bool) -> dict[str, Any]:
        now = _now_iso()
        if existing is None:
            id_ = self._new_id(sobject)
            record = {"Id": id_, "CreatedDate": now, **values, "LastModifiedDate": now}
        else:
            id_ = existing
            record = {**self._records[sobject][id_], **values, "LastModifiedDate": now}
        if sobject == "Opportunity" and (existing is None or "StageName" in values):
            stage = record.get("StageName")
            record["IsClosed"], record["IsWon"] = stage in ("Closed Won", "Closed Lost"), stage == "Closed Won"
        if sobject == "Task" and record.get("Status") == "Completed" and not record.get("CompletedDateTime"):
            record["CompletedDateTime"] = now
        self._put(sobject, id_, record)
        if sobject == "Opportunity" and existing is None and record.get("ContactId"):
            role = self._new_id("OpportunityContactRole")
            self._put(
                "OpportunityContactRole",
                role,
                {
                    "Id": role,
                    "CreatedDate": now,
                    "OpportunityId": id_,
                    "ContactId": record["ContactId"],
                    "IsPrimary": True,
                    "Role": None,
                    "LastModifiedDate": now,
                },
            )
        result: dict[str, Any] = {"id": id_, "success": True, "errors": []}
        if upsert:
            result["created"] = existing is None
        return result

    # -- reading ---------------------------------------------------------------------------------
    def _url(self, version: str, sobject: str, id_: str) -> str:
        return f"/services/data/v{version}/sobjects/{sobject}/{id_}"

    def _record_json(self, version: str, sobject: str, id_: str) -> dict[str, Any]:
        record = self._records[sobject][id_]
        return {
            "attributes": {"type": sobject, "url": self._url(version, sobject, id_)},
            **{name: record.get(name) for name in self._fields[sobject]},
        }

    def _get_record(self, version: str, sobject: str, field: str, value: str) -> tuple[int, Any]:
        """A record by its id or by an external id field: 300 with their URLs when several hold the value."""
        fields = self._fields_of(sobject)
        if field == "Id":
            holders = [_full_id(value)] if _full_id(value) in self._records[sobject] else []
        elif field in fields and fields[field].external_id:
            holders = list(self._holders(sobject, field, value))
        else:
            raise _Refused(404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}")
        if not holders:
            raise _Refused(404, "NOT_FOUND", _NOT_FOUND_MESSAGE)
        if len(holders) > 1:
            return 300, [self._url(version, sobject, id_) for id_ in holders]
        return 200, self._record_json(version, sobject, holders[0])

    def _query(self, version: str, soql: str) -> dict[str, Any]:
        match = _QUERY.fullmatch(soql)
        if match is None:
            raise _Refused(400, "MALFORMED_QUERY", f"unexpected token in: {soql[:200]}")
        sobject = next((name for name in SOBJECTS if name.lower() == match["sobject"].lower()), None)
        if sobject is None:
            raise _Refused(400, "INVALID_TYPE", f"sObject type '{match['sobject']}' is not supported.")
        fields = {name.lower(): name for name in self._fields[sobject]}
        names = [name.strip() for name in match["fields"].split(",")]
        for name in [*names, *([match["field"]] if match["field"] else [])]:
            if name.lower() not in fields:
                raise _Refused(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
        wanted = list(dict.fromkeys(fields[name.lower()] for name in names))
        held = self._records[sobject]
        ids: list[str]
        if match["field"]:
            field = fields[match["field"].lower()]
            literals = re.findall(_SOQL_STRING, match["values"] or match["value"], re.DOTALL)
            given = [_unescape(literal) for literal in literals]
            values = list(dict.fromkeys(value.lower() for value in given))
            if field == "Id":  # ids compare case-sensitively
                ids = [id_ for id_ in dict.fromkeys(_full_id(value) for value in given) if id_ in held]
            elif field in self._index[sobject]:
                ids = list(dict.fromkeys(id_ for value in values for id_ in self._holders(sobject, field, value)))
            else:
                wanted_values = set(values)
                ids = [
                    id_
                    for id_, record in held.items()
                    if record.get(field) is not None and str(record[field]).lower() in wanted_values
                ]
        else:
            ids = list(held)
        limit = min(int(match["limit"]) if match["limit"] else QUERY_LIMIT, QUERY_LIMIT)
        rows = [
            {
                "attributes": {"type": sobject, "url": self._url(version, sobject, id_)},
                **{name: held[id_].get(name) for name in wanted},
            }
            for id_ in ids[:limit]
        ]
        return {"totalSize": len(rows), "done": True, "records": rows}


def serve(
    *,
    port: int = 8766,
    client_id: str = STANDIN_CLIENT_ID,
    client_secret: str = STANDIN_CLIENT_SECRET,
    daily_limit: int = 15_000,
    latency_ms: float = 0.0,
    token_seconds: float = 7200.0,
    audit_fields: bool = True,
    field_creation: bool = True,
) -> None:
    """Serve until SIGTERM or SIGINT; print the base URL on the first line once listening."""
    standin = SalesforceStandIn(
        port=port,
        client_id=client_id,
        client_secret=client_secret,
        daily_limit=daily_limit,
        latency_ms=latency_ms,
        token_seconds=token_seconds,
        audit_fields=audit_fields,
        field_creation=field_creation,
    )

    def banner() -> str:
        connection = {
            "name": "Local Salesforce stand-in",
            "kind": "salesforce",
            "instance_url": standin.base_url,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        return (
            f"{standin.base_url}\n"
            f"Salesforce stand-in (org {ORG_ID}) listening on {standin.base_url}\n"
            f"Client credentials: client_id {client_id}, client_secret {client_secret}\n"
            f"Daily API allocation: {daily_limit}; tokens live {token_seconds:.0f} s; "
            f"CreatedDate settable on insert: {'yes' if audit_fields else 'no'}; "
            f"custom fields can be created: {'yes' if field_creation else 'no'}\n"
            f"Latency: {latency_ms:.0f} ms per answer (±{standin.latency_jitter:.0%})\n"
            f"Connect SimCRM with: POST /api/connections/ {json.dumps(connection)}\n"
            f"What it holds: GET {standin.base_url}/_standin/state\n"
            f"Every record of an sObject: GET {standin.base_url}/_standin/objects/Contact\n"
            "Ctrl+C stops it.\n"
        )

    standin.serve_until_stopped(banner)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port (printed)")
    parser.add_argument("--client-id", default=STANDIN_CLIENT_ID, help="the Connected App's consumer key it accepts")
    parser.add_argument("--client-secret", default=STANDIN_CLIENT_SECRET, help="and its consumer secret")
    parser.add_argument("--daily-limit", type=int, default=15_000, help="API requests a day (a Developer Edition's)")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="answer every request after about this many ms (±25%%)"
    )
    parser.add_argument("--token-seconds", type=float, default=7200.0, help="how long an access token lives")
    parser.add_argument("--no-audit-fields", action="store_true", help="CreatedDate is not settable on insert")
    parser.add_argument("--no-field-creation", action="store_true", help="the Tooling API refuses new fields")


def serve_from_arguments(args: argparse.Namespace | dict[str, Any]) -> None:
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    serve(
        port=values["port"],
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        daily_limit=values["daily_limit"],
        latency_ms=values.get("latency_ms") or 0.0,
        token_seconds=values["token_seconds"],
        audit_fields=not values.get("no_audit_fields"),
        field_creation=not values.get("no_field_creation"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local stand-in for the Salesforce API subset SimCRM uses.")
    add_arguments(parser)
    serve_from_arguments(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
