"""A local stand-in for the Salesforce REST API subset SimCRM delivers to, spoken over real HTTP.

Shipped with SimCRM so anyone can try delivery without an org::

    python manage.py salesforce_standin --port 8766
    # then POST /api/connections/ {"kind": "salesforce", "instance_url": "http://127.0.0.1:8766",
    #                              "client_id": "<printed>", "client_secret": "<printed>", ...}

In-process (tests)::

    with SalesforceStandIn(daily_limit=15_000, latency_ms=1500) as org:
        org.expire_tokens()          # every token issued so far answers 401 INVALID_SESSION_ID
        org.exhaust_daily()          # the allocation is used up (by "other apps"): 403 REQUEST_LIMIT_EXCEEDED
        org.lose_next_answers(1)     # the next write is applied, then the connection drops
        org.objects("Contact"), org.records_by_external_id("Contact"), org.max_in_flight

What it follows from Salesforce's documentation: the OAuth 2.0 client credentials token endpoint and its
`invalid_client` error; 401 `INVALID_SESSION_ID` for an expired session; every API request counted against a
daily allocation reported in `Sforce-Limit-Info: api-usage=N/M` and by `GET /limits` (`DailyApiRequests`),
403 `REQUEST_LIMIT_EXCEEDED` past it; sObject Collections (up to 200 records, results in request order,
`allOrNone`), insert, update by Id and upsert by an external id field; the per-record errors `DUPLICATE_VALUE`
(naming the record that holds the value), `REQUIRED_FIELD_MISSING`, `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`,
`INVALID_FIELD_FOR_INSERT_UPDATE` and `INVALID_CROSS_REFERENCE_KEY`; an unknown field refusing the whole request
(`INVALID_FIELD`); `CreatedDate` creatable on insert only, and only where audit fields are allowed (never
through an upsert); an Opportunity inserted with `ContactId` getting a primary OpportunityContactRole; custom
fields created through the Tooling API. Modelled, not copied: the exact wording of messages other than those
quoted, the describe's field list (the standard fields SimCRM uses, not all), and SOQL, of which it reads only
`SELECT … FROM … [WHERE f IN (…) | f = '…'] [LIMIT n]`. ``GET /_standin/state`` (no token) shows what it holds,
``GET /_standin/objects/<sObject>`` every record of one sObject.
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
from urllib.parse import parse_qs

from standins.server import JsonAnswer, JsonHandler, JsonStandIn

STANDIN_CLIENT_ID = "3MVG9standin.simcrm.local"
STANDIN_CLIENT_SECRET = "standin-secret-0123456789ABCDEF"  # noqa: S105 - a fake secret, printed for the user
API_VERSION = "62.0"
BATCH_LIMIT = 200
ORG_ID = "00D000000000001AAA"
USER_ID = "005000000000001AAA"
QUERY_LIMIT = 2000
COMPOSITE_LIMIT = 25

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


@dataclass(frozen=True)
class _Field:
    type: str
    required: bool = False
    createable: bool = True
    updateable: bool = True
    picklist: tuple[str, ...] = ()  # a restricted picklist's values
    references: tuple[str, ...] = ()
    external_id: bool = False
    unique: bool = False


def _fields(**fields: _Field) -> dict[str, _Field]:
    read_only = _Field("datetime", createable=False, updateable=False)
    return {"Id": _Field("id", createable=False, updateable=False), **fields, "LastModifiedDate": read_only}


_TEXT, _DATE, _DATETIME, _INT = _Field("string"), _Field("date"), _Field("datetime"), _Field("int")
_CREATED = _Field("datetime", createable=True, updateable=False)  # createable only with audit fields
_ACTIVITY_LOOKUPS = {"WhoId": _Field("reference", references=("Contact",))}
_ACTIVITY_LOOKUPS["WhatId"] = _Field("reference", references=("Account", "Opportunity"))
SOBJECTS: dict[str, dict[str, _Field]] = {
    "Account": _fields(
        Name=_Field("string", required=True),
        Website=_TEXT,
        Industry=_TEXT,
        Description=_TEXT,
        BillingCity=_TEXT,
        BillingCountry=_TEXT,
        NumberOfEmployees=_INT,
        Phone=_TEXT,
        CreatedDate=_CREATED,
    ),
    "Contact": _fields(
        FirstName=_TEXT,
        LastName=_Field("string", required=True),
        Email=_TEXT,
        Title=_TEXT,
        Phone=_TEXT,
        MailingCity=_TEXT,
        MailingCountry=_TEXT,
        AccountId=_Field("reference", references=("Account",)),
        LeadSource=_TEXT,
        Description=_TEXT,
        CreatedDate=_CREATED,
    ),
    "Opportunity": _fields(
        Name=_Field("string", required=True),
        StageName=_Field("picklist", required=True, picklist=_STAGES),
        Amount=_Field("currency"),
        CloseDate=_Field("date", required=True),
        AccountId=_Field("reference", references=("Account",)),
        ContactId=_Field("reference", updateable=False, references=("Contact",)),
        Probability=_Field("percent"),
        IsClosed=_Field("boolean", createable=False, updateable=False),
        IsWon=_Field("boolean", createable=False, updateable=False),
        Description=_TEXT,
        CreatedDate=_CREATED,
    ),
    "OpportunityContactRole": _fields(
        OpportunityId=_Field("reference", references=("Opportunity",)),
        ContactId=_Field("reference", references=("Contact",)),
        Role=_TEXT,
        IsPrimary=_Field("boolean"),
    ),
    "Task": _fields(
        Subject=_TEXT,
        Description=_TEXT,
        ActivityDate=_DATE,
        Status=_Field(
            "picklist", picklist=("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
        ),
        Priority=_Field("picklist", picklist=("High", "Normal", "Low")),
        TaskSubtype=_Field("picklist", updateable=False, picklist=("Task", "Email", "Call", "ListEmail", "Cadence")),
        CallType=_Field("picklist", picklist=("Internal", "Inbound", "Outbound")),
        CallDurationInSeconds=_INT,
        CompletedDateTime=_Field("datetime", createable=False, updateable=False),
        CreatedDate=_CREATED,
        **_ACTIVITY_LOOKUPS,
    ),
    "Event": _fields(
        Subject=_TEXT,
        Description=_TEXT,
        StartDateTime=_Field("datetime", required=True),
        EndDateTime=_DATETIME,
        DurationInMinutes=_INT,
        ActivityDateTime=_DATETIME,
        CreatedDate=_CREATED,
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
_METADATA_TYPES = {"Text": "string", "DateTime": "datetime", "Date": "date", "Number": "double"}
_METADATA_TYPES |= {"Checkbox": "boolean", "LongTextArea": "textarea"}
_RELATIONSHIPS = {"Account": "AccountId", "Contact": "ContactId", "Who": "WhoId", "What": "WhatId"}
_DATA_PATH = re.compile(r"/services/data/v\d+\.\d(?P<rest>/.*)")
_QUERY = re.compile(
    r"SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+(?P<sobject>\w+)"
    r"(?:\s+WHERE\s+(?P<field>\w+)\s*(?:IN\s*\((?P<values>.*)\)|=\s*(?P<value>'(?:[^'\\]|\\.)*')))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*",
    re.IGNORECASE | re.DOTALL,
)
_RECORD_PATH = re.compile(r"/[0-9a-zA-Z]{3}[0-9]{12}AAA")
_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")
_SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
_NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
_AUDIT_REFUSED = (
    "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is "
    "read/write for your profile or permission set."
)


@dataclass
class RequestRecord:
    time: float
    method: str
    path: str
    status: int = 0
    records: int = 0  # in the body of a collection request
    answered: bool = True


_Answer = JsonAnswer


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str, *fields: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, list(fields)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        self.latency = latency_ms / 1000  # seconds before each answer, jittered ±25%
        self.latency_jitter = 0.25
        self.token_seconds = token_seconds
        self.audit_fields = audit_fields
        self.field_creation = field_creation
        self.requests: list[RequestRecord] = []
        self.duplicates_refused = 0  # inserts refused as DUPLICATE_VALUE
        self.in_flight = 0
        self.max_in_flight = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._latency_random = random.Random(latency_ms)
        self._tokens: dict[str, float] = {}  # token -> when it expires
        self._issued: list[str] = []
        self._daily_used = 0
        self._others = 0  # requests "other apps" used (exhaust_daily)
        self._lose = 0
        self._lose_path = re.compile("")
        self._fail: deque[int] = deque()
        self._next_id = 1
        self._records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SOBJECTS}
        self._custom: dict[str, dict[str, _Field]] = {name: {} for name in SOBJECTS}
        # (sObject, unique field) -> {value in lower case: ids holding it}: lookups are one dict read.
        self._unique: dict[tuple[str, str], dict[str, list[str]]] = {}

    # -- control ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def tokens_issued(self) -> list[str]:
        with self._lock:
            return list(self._issued)

    def reset_daily(self) -> None:
        with self._lock:
            self._daily_used = self._others = 0

    def exhaust_daily(self) -> None:
        with self._lock:
            self._others = self.daily_limit - self._daily_used

    @property
    def daily_used(self) -> int:
        with self._lock:
            return self._daily_used + self._others

    def fail_next(self, n: int, status: int = 503) -> None:
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
        """Counts the requests being handled (their answers' delay included): max_in_flight."""
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def answer_delay(self) -> float:
        if self.latency <= 0:
            return 0.0
        with self._lock:
            spread = self._latency_random.uniform(-self.latency_jitter, self.latency_jitter)
        return self.latency * (1 + spread)

    # -- read-back -------------------------------------------------------------------------------
    def objects(self, sobject: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {id_: dict(fields) for id_, fields in self._records[sobject].items()}

    def records_by_external_id(self, sobject: str, field: str = "SimCRM_Id__c") -> dict[str, list[str]]:
        with self._lock:
            held: dict[str, list[str]] = {}
            for id_, fields in self._records[sobject].items():
                if fields.get(field):
                    held.setdefault(str(fields[field]), []).append(id_)
            return held

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "orgId": ORG_ID,
                "objects": {name: len(records) for name, records in self._records.items()},
                "customFields": {name: sorted(fields) for name, fields in self._custom.items()},
                "requests": len(self.requests),
                "dailyUsed": self._daily_used + self._others,
                "dailyLimit": self.daily_limit,
                "maxInFlight": self.max_in_flight,
            }

    # -- serving ---------------------------------------------------------------------------------
    def handle(self, method: str, target: str, authorization: str, raw: bytes) -> _Answer:
        path, _, query_string = target.partition("?")
        if method == "GET" and path == "/_standin/state":
            return _Answer(200, self.state(), {})
        if method == "GET" and _RECORD_PATH.fullmatch(path):
            # A record's page in an org (`<My Domain>/<id>`); the stand-in answers with the record's fields.
            with self._lock:
                found = next((held[path[1:]] for held in self._records.values() if path[1:] in held), None)
            return _Answer(200, dict(found), {}) if found is not None else _Answer(404, _NOT_FOUND, {})
        if method == "GET" and path.startswith("/_standin/objects/"):
            sobject = path.removeprefix("/_standin/objects/")
            if sobject not in SOBJECTS:
                return _Answer(404, _NOT_FOUND, {})
            return _Answer(200, list(self.objects(sobject).values()), {})
        with self._lock:
            record = RequestRecord(time=self._clock(), method=method, path=path)
            self.requests.append(record)
            answer = self._answer(record, authorization, query_string, raw)
            record.status, record.answered = answer.status, not answer.drop
            return answer

    def _answer(self, record: RequestRecord, authorization: str, query_string: str, raw: bytes) -> _Answer:
        if record.path == "/services/oauth2/token" and record.method == "POST":
            return self._token(raw)
        data = _DATA_PATH.fullmatch(record.path)
        if data is None:
            return _Answer(404, _NOT_FOUND, {})
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or self._tokens.get(token.strip(), 0.0) <= self._clock():
            return _Answer(401, _SESSION_EXPIRED, {})
        if self._daily_used + self._others >= self.daily_limit:
            refused = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
            return _Answer(403, refused, self._usage_header())
        self._daily_used += 1
        headers = self._usage_header()
        if self._fail:
            status = self._fail.popleft()
            return _Answer(status, [{"errorCode": "SERVER_UNAVAILABLE", "message": "Service unavailable"}], headers)
        try:
            body = json.loads(raw) if raw else None
        except ValueError as error:
            return _Answer(400, [{"errorCode": "JSON_PARSER_ERROR", "message": str(error)}], headers)
        if isinstance(body, dict) and isinstance(body.get("records"), list):
            record.records = len(body["records"])
        try:
            status, answer = self._route(record.method, data.group("rest"), parse_qs(query_string), body)
        except _Refused as refused:
            status, answer = refused.status, [{"message": refused.message, "errorCode": refused.code}]
        drop = record.method in ("POST", "PATCH") and self._lose > 0 and self._lose_path.search(record.path) is not None
        if drop:
            self._lose -= 1
        return _Answer(status, answer, headers, drop)

    def _usage_header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self._daily_used + self._others}/{self.daily_limit}"}

    def _token(self, raw: bytes) -> _Answer:
        form = {name: values[0] for name, values in parse_qs(raw.decode(errors="replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return _Answer(
                400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, {}
            )
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return _Answer(400, {"error": "invalid_client", "error_description": "invalid client credentials"}, {})
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
        return _Answer(200, issued, {})

    def _route(self, method: str, rest: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        parts = rest.strip("/").split("/")
        if method == "GET" and parts == ["limits"]:
            used = self._daily_used + self._others
            return 200, {
                "DailyApiRequests": {"Max": self.daily_limit, "Remaining": max(0, self.daily_limit - used)},
                "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
            }
        if method == "GET" and len(parts) == 3 and parts[0] == "sobjects" and parts[2] == "describe":
            return 200, self._describe(parts[1])
        if method == "GET" and len(parts) == 4 and parts[0] == "sobjects":
            return 200, self._by_external_id(parts[1], parts[2], parts[3])
        if method == "POST" and parts == ["tooling", "sobjects", "CustomField"]:
            return 201, self._custom_field(body)
        if method == "POST" and parts in (["composite"], ["tooling", "composite"]):
            return 200, self._composite(body, tooling=parts[0] == "tooling")
        if method == "GET" and parts == ["query"]:
            return 200, self._query(query.get("q", [""])[0])
        if parts[:2] == ["composite", "sobjects"]:
            records, all_or_none = self._collection(body)
            if method == "POST" and len(parts) == 2:
                return 200, self._write(records, all_or_none, mode="insert")
            if method == "PATCH" and len(parts) == 2:
                return 200, self._write(records, all_or_none, mode="update")
            if method == "PATCH" and len(parts) == 4:
                return 200, self._write(records, all_or_none, mode="upsert", sobject=parts[2], key=parts[3])
        raise _Refused(404, "NOT_FOUND", "The requested resource does not exist")

    def _composite(self, body: Any, *, tooling: bool) -> dict[str, Any]:
        """Up to 25 subrequests in one request (one call against the allocation), each answered in order with its
        own status; a Tooling API composite takes Tooling API paths only, and the REST one the others."""
        subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
        if not isinstance(subrequests, list) or not 1 <= len(subrequests) <= COMPOSITE_LIMIT:
            raise _Refused(400, "INVALID_BATCH_SIZE", f"compositeRequest holds 1 to {COMPOSITE_LIMIT} subrequests")
        answers = []
        for subrequest in subrequests:
            url = str(subrequest.get("url", "")) if isinstance(subrequest, dict) else ""
            data = _DATA_PATH.fullmatch(url.partition("?")[0])
            rest = data.group("rest") if data else ""
            try:
                if data is None or rest.startswith("/tooling/") != tooling or "composite" in rest:
                    raise _Refused(400, "INVALID_URL", f"This composite cannot run {url!r}")
                status, answer = self._route(str(subrequest.get("method", "GET")), rest, {}, subrequest.get("body"))
            except _Refused as refused:
                status, answer = refused.status, [{"message": refused.message, "errorCode": refused.code}]
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
    def _all_fields(self, sobject: str) -> dict[str, _Field]:
        if sobject not in SOBJECTS:
            raise _Refused(404, "NOT_FOUND", "The requested resource does not exist")
        return {**SOBJECTS[sobject], **self._custom[sobject]}

    def _describe(self, sobject: str) -> dict[str, Any]:
        fields = []
        for name, spec in self._all_fields(sobject).items():
            createable = spec.createable and (name != "CreatedDate" or self.audit_fields)
            fields.append(
                {
                    "name": name,
                    "type": spec.type,
                    "createable": createable,
                    "updateable": spec.updateable,
                    "nillable": not spec.required,
                    "externalId": spec.external_id,
                    "unique": spec.unique,
                    "custom": name.endswith("__c"),
                    "referenceTo": list(spec.references),
                    "picklistValues": [
                        {"value": value, "label": value, "active": True, "defaultValue": False}
                        for value in spec.picklist
                    ],
                }
            )
        return {"name": sobject, "custom": False, "fields": fields}

    def _custom_field(self, body: Any) -> dict[str, Any]:
        if not self.field_creation:
            raise _Refused(403, "INSUFFICIENT_ACCESS", "insufficient access rights on cross-reference id")
        full_name = str(body.get("FullName", "")) if isinstance(body, dict) else ""
        sobject, _, name = full_name.partition(".")
        metadata = body.get("Metadata") if isinstance(body, dict) else None
        if sobject not in SOBJECTS or not re.fullmatch(r"[A-Za-z]\w*__c", name) or not isinstance(metadata, dict):
            raise _Refused(400, "INVALID_FIELD", f"Cannot create field {full_name!r}: a FullName is Object.Name__c")
        if name in self._custom[sobject]:
            raise _Refused(400, "DUPLICATE_DEVELOPER_NAME", f"There is already a field named {name} on {sobject}.")
        unique = bool(metadata.get("unique"))
        self._custom[sobject][name] = _Field(
            _METADATA_TYPES.get(str(metadata.get("type")), "string"),
            external_id=bool(metadata.get("externalId")),
            unique=unique,
        )
        if unique:
            self._unique[sobject, name] = {}
        return {"id": self._new_id("CustomField"), "success": True, "errors": [], "warnings": [], "infos": []}

    # -- records ---------------------------------------------------------------------------------
    def _new_id(self, sobject: str) -> str:
        self._next_id += 1
        return f"{KEY_PREFIXES[sobject]}{self._next_id:012d}AAA"

    def _collection(self, body: Any) -> tuple[list[dict[str, Any]], bool]:
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
            raise _Refused(400, "JSON_PARSER_ERROR", "A collection's body is {allOrNone, records: [...]}")
        if not 1 <= len(records) <= BATCH_LIMIT:
            raise _Refused(400, "INVALID_BATCH_SIZE", f"Records must hold 1 to {BATCH_LIMIT} records")
        for record in records:
            sobject = (record.get("attributes") or {}).get("type")
            if sobject not in SOBJECTS:
                raise _Refused(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
            known = self._all_fields(sobject)
            for name in record:
                if name != "attributes" and name not in known and name not in _RELATIONSHIPS:
                    raise _Refused(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")
        return records, bool(body.get("allOrNone"))

    def _write(
        self, records: list[dict[str, Any]], all_or_none: bool, *, mode: str, sobject: str = "", key: str = ""
    ) -> list[dict[str, Any]]:
        if mode == "upsert" and not self._all_fields(sobject).get(key, _TEXT).external_id:
            raise _Refused(400, "INVALID_FIELD", f"Field {key} is not an external id field on {sobject}")
        # Each record is checked against the records before it in the batch too (a unique value twice in one
        # batch is a DUPLICATE_VALUE); with allOrNone, all are checked and then written only if none failed.
        snapshot = (
            (
                {name: {id_: dict(fields) for id_, fields in held.items()} for name, held in self._records.items()},
                {pair: {value: list(ids) for value, ids in index.items()} for pair, index in self._unique.items()},
                self._next_id,
            )
            if all_or_none
            else None
        )
        results: list[dict[str, Any]] = []
        for record in records:
            try:
                plan = self._check(record, mode=mode, key=key)
            except _Refused as refused:
                error = {"statusCode": refused.code, "message": refused.message, "fields": refused.fields}
                results.append({"success": False, "errors": [error]})
            else:
                results.append(self._apply(*plan, created_flag=mode == "upsert"))
        if snapshot is not None and any(not result["success"] for result in results):
            self._records, self._unique, self._next_id = snapshot
            rolled_back = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request was using "
                "AllOrNone header",
                "fields": [],
            }
            results = [
                result if not result["success"] else {"success": False, "errors": [rolled_back]} for result in results
            ]
        return results

    def _check(self, record: dict[str, Any], *, mode: str, key: str) -> tuple[str, str | None, dict[str, Any]]:
        """The record's sObject, the id it updates (None: an insert) and its fields, or _Refused."""
        sobject = record["attributes"]["type"]
        fields = self._all_fields(sobject)
        values = {name: value for name, value in record.items() if name not in ("attributes", "Id")}
        existing: str | None = None
        if mode == "update":
            existing = str(record.get("Id") or "")
            if existing not in self._records[sobject]:
                raise _Refused(400, "ENTITY_IS_DELETED", "entity is deleted", "Id")
        elif mode == "upsert":
            held = self._unique.get((sobject, key), {}).get(str(values.get(key, "")).lower(), [])
            existing = held[0] if held else None
        for relationship, lookup in _RELATIONSHIPS.items():
            if relationship in values:
                values[lookup] = self._resolve(values.pop(relationship), relationship)
        inserting = existing is None
        for name, value in values.items():
            spec = fields[name]
            allowed = spec.createable if inserting else spec.updateable
            if name == "CreatedDate":
                allowed = inserting and mode == "insert" and self.audit_fields
            if not allowed:
                raise _Refused(400, "INVALID_FIELD_FOR_INSERT_UPDATE", _AUDIT_REFUSED.format(name), name)
            self._check_value(sobject, name, spec, value, existing)
        if inserting:
            missing = [name for name, spec in fields.items() if spec.required and values.get(name) in (None, "")]
            if sobject == "Event" and not values.get("EndDateTime") and not values.get("DurationInMinutes"):
                missing.append("EndDateTime")
            if missing:
                raise _Refused(
                    400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", *missing
                )
        return sobject, existing, values

    def _check_value(self, sobject: str, name: str, spec: _Field, value: Any, existing: str | None) -> None:
        if value is None:
            return
        if spec.picklist and value not in spec.picklist:
            raise _Refused(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{value}: bad value for restricted picklist field: {name}",
                name,
            )
        if spec.type in ("datetime", "date"):
            try:
                parsed = (
                    datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                    if spec.type == "datetime"
                    else date.fromisoformat(str(value))
                )
            except ValueError:
                raise _Refused(
                    400, "INVALID_TYPE_ON_FIELD_IN_RECORD", f"{name}: value not of required type: {value}", name
                ) from None
            if isinstance(parsed, datetime) and parsed.tzinfo is None:
                raise _Refused(
                    400, "INVALID_TYPE_ON_FIELD_IN_RECORD", f"{name}: value not of required type: {value}", name
                )
        if spec.references:
            target = next((s for s in spec.references if str(value) in self._records[s]), None)
            if target is None:
                raise _Refused(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", name)
        if spec.unique:
            holders = [id_ for id_ in self._unique[sobject, name].get(str(value).lower(), []) if id_ != existing]
            if holders:
                self.duplicates_refused += 1
                raise _Refused(
                    400,
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {name} duplicates value on record with id: {holders[0]}",
                )

    def _resolve(self, reference: Any, relationship: str) -> str:
        """A relationship given by an external id, e.g. {"SimCRM_Id__c": "…"} (with attributes.type for What)."""
        if not isinstance(reference, dict):
            raise _Refused(400, "INVALID_FIELD", f"A relationship {relationship} is an object")
        sobject = (reference.get("attributes") or {}).get("type") or {"Who": "Contact", "What": "Account"}.get(
            relationship, relationship
        )
        pairs = [(name, value) for name, value in reference.items() if name != "attributes"]
        if sobject not in SOBJECTS or len(pairs) != 1:
            raise _Refused(400, "INVALID_FIELD", f"A relationship {relationship} names one external id field")
        name, value = pairs[0]
        held = self._unique.get((sobject, name), {}).get(str(value).lower())
        if not held:
            raise _Refused(
                400, "INVALID_FIELD", f"Foreign key external ID: {value} not found for field {name} in entity {sobject}"
            )
        return held[0]

    def _apply(
        self, sobject: str, existing: str | None, values: dict[str, Any], *, created_flag: bool
    ) -> dict[str, Any]:
        now = _now_iso()
        id_ = existing or self._new_id(sobject)
        record = self._records[sobject].setdefault(id_, {"Id": id_})
        if existing is None:
            record["CreatedDate"] = now
        for name, value in values.items():
            spec = self._all_fields(sobject)[name]
            if spec.unique:
                old = record.get(name)
                if old is not None:
                    self._unique[sobject, name].get(str(old).lower(), []).remove(id_)
                self._unique[sobject, name].setdefault(str(value).lower(), []).append(id_)
            record[name] = value
        record["LastModifiedDate"] = now
        if sobject == "Opportunity":
            stage = record.get("StageName")
            record["IsClosed"], record["IsWon"] = stage in ("Closed Won", "Closed Lost"), stage == "Closed Won"
            if existing is None and record.get("ContactId"):
                role = self._new_id("OpportunityContactRole")
                self._records["OpportunityContactRole"][role] = {
                    "Id": role,
                    "OpportunityId": id_,
                    "ContactId": record["ContactId"],
                    "IsPrimary": True,
                    "Role": None,
                }
        if sobject == "Task" and record.get("Status") == "Completed" and not record.get("CompletedDateTime"):
            record["CompletedDateTime"] = now
        result: dict[str, Any] = {"id": id_, "success": True, "errors": []}
        if created_flag:
            result["created"] = existing is None
        return result

    def _by_external_id(self, sobject: str, field: str, value: str) -> dict[str, Any]:
        self._all_fields(sobject)
        held = self._unique.get((sobject, field), {}).get(value.lower())
        if not held:
            raise _Refused(404, "NOT_FOUND", "The requested resource does not exist")
        return {"attributes": {"type": sobject, "url": self._url(sobject, held[0])}, **self._records[sobject][held[0]]}

    def _url(self, sobject: str, id_: str) -> str:
        return f"/services/data/v{API_VERSION}/sobjects/{sobject}/{id_}"

    def _query(self, soql: str) -> dict[str, Any]:
        match = _QUERY.fullmatch(soql.strip())
        if match is None:
            raise _Refused(400, "MALFORMED_QUERY", f"unexpected token in: {soql[:80]}")
        sobject = match.group("sobject")
        fields = self._all_fields(sobject)
        wanted = [name.strip() for name in match.group("fields").split(",")]
        for name in [*wanted, *([match.group("field")] if match.group("field") else [])]:
            if name not in fields:
                raise _Refused(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
        if match.group("field"):
            raw_values = match.group("values") if match.group("values") is not None else match.group("value")
            values = {_unescape(value).lower() for value in _STRING.findall(raw_values or "")}
            field = match.group("field")
            if (sobject, field) in self._unique:
                ids = [id_ for value in values for id_ in self._unique[sobject, field].get(value, [])]
            else:
                ids = [
                    id_
                    for id_, record in self._records[sobject].items()
                    if str(record.get(field, "")).lower() in values
                ]
        else:
            ids = list(self._records[sobject])
        limit = min(int(match.group("limit") or QUERY_LIMIT), QUERY_LIMIT)
        rows = [
            {
                "attributes": {"type": sobject, "url": self._url(sobject, id_)},
                **{name: self._records[sobject][id_].get(name) for name in wanted},
            }
            for id_ in ids[:limit]
        ]
        return {"totalSize": len(rows), "done": True, "records": rows}


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


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
            f"Daily API allocation: {daily_limit}; tokens live {token_seconds:.0f} s; "
            f"CreatedDate settable on insert: {'yes' if audit_fields else 'no'}\n"
            f"Latency: {latency_ms:.0f} ms per answer (±{standin.latency_jitter:.0%})\n"
            f"Connect SimCRM with: POST /api/connections/ {json.dumps(connection)}\n"
            f"What it holds: GET {standin.base_url}/_standin/state, and every Contact at /_standin/objects/Contact\n"
            "Ctrl+C stops it.\n"
        )

    standin.serve_until_stopped(banner)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port (printed)")
    parser.add_argument("--client-id", default=STANDIN_CLIENT_ID, help="the Connected App's consumer key it accepts")
    parser.add_argument("--client-secret", default=STANDIN_CLIENT_SECRET, help="and its secret")
    parser.add_argument("--daily-limit", type=int, default=15_000, help="API requests a day (a Developer Edition's)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="answer every request after about this many ms")
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
