"""A local stand-in for the HubSpot API subset SimCRM delivers to, spoken over real HTTP.

Shipped with SimCRM so anyone can try delivery without a portal::

    python manage.py hubspot_standin --port 8765
    # then POST /api/connections/ {"kind": "hubspot", "access_token": "<printed token>",
    #                              "base_url": "http://127.0.0.1:8765", ...}

In-process (tests)::

    with HubSpotStandIn(ten_second_limit=5) as hubspot:
        httpx.get(f"{hubspot.base_url}/account-info/v3/details", headers={"Authorization": f"Bearer {STANDIN_TOKEN}"})
        hubspot.fail_next(1)            # the next request answers 429 TEN_SECONDLY_ROLLING
        hubspot.lose_next_answers(1)    # the next write is applied, then the connection drops
        hubspot.objects("contacts"), hubspot.associations(), hubspot.max_in_window()

    HubSpotStandIn(latency_ms=800)      # answers after about 800 ms (±25%), as HubSpot's batch endpoints do

It keeps HubSpot's paths, body shapes, error bodies and limits (per token: ``ten_second_limit``
requests per rolling 10 s and ``daily_limit`` since ``reset_daily()``; every authenticated request
counts, 429s included). ``GET /_standin/state`` (no token) shows what it holds.
This module must not import Django: it runs standalone (``python -m standins.hubspot``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from standins.server import JsonAnswer, JsonHandler, JsonStandIn

STANDIN_TOKEN = "pat-standin-0123456789abcdef"  # noqa: S105 - a fake token, printed for the user
TIER_LIMITS = {"starter": 100, "professional": 190, "enterprise": 190}
BATCH_LIMIT = 100
WINDOW_SECONDS = 10.0
ACTIVITY_TYPES = ("emails", "calls", "meetings", "notes", "tasks")
OBJECT_TYPES = ("contacts", "companies", "deals", *ACTIVITY_TYPES)
OBJECT_TYPE_IDS = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tasks": "0-27",
    "notes": "0-46",
    "meetings": "0-47",
    "calls": "0-48",
    "emails": "0-49",
}
# HubSpot documents unique value properties for contacts, companies, deals, tickets and custom objects
# (developers.hubspot.com/changelog/unique-properties-for-contacts), not for the activity objects: a
# property with hasUniqueValue on one of those is refused here.
UNIQUE_PROPERTY_TYPES = ("contacts", "companies", "deals")
# How long a new record takes to show in search: HubSpot's search reads an index that lags its writes.
SEARCH_LAG_SECONDS = 1.0
SEARCH_LIMIT = 200  # results per search page
SEARCH_PER_SECOND = 5  # HubSpot's search endpoints take 5 requests a second per account
LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
DEAL_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
# HubSpot's default (HUBSPOT_DEFINED) association type ids.
ASSOCIATION_TYPE_IDS = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    # An activity to its contact, company and deal (HubSpot's association type id table).
    ("emails", "contacts"): 198,
    ("emails", "companies"): 186,
    ("emails", "deals"): 210,
    ("calls", "contacts"): 194,
    ("calls", "companies"): 182,
    ("calls", "deals"): 206,
    ("meetings", "contacts"): 200,
    ("meetings", "companies"): 188,
    ("meetings", "deals"): 212,
    ("notes", "contacts"): 202,
    ("notes", "companies"): 190,
    ("notes", "deals"): 214,
    ("tasks", "contacts"): 204,
    ("tasks", "companies"): 192,
    ("tasks", "deals"): 216,
}
# Values HubSpot's activity enumerations take (its objects' guides).
_ENUMERATIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("emails", "hs_email_direction"): ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"),
    ("emails", "hs_email_status"): ("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"),
    ("calls", "hs_call_direction"): ("INBOUND", "OUTBOUND"),
    ("calls", "hs_call_status"): (
        "BUSY",
        "CALLING_CRM_USER",
        "CANCELED",
        "COMPLETED",
        "CONNECTING",
        "FAILED",
        "IN_PROGRESS",
        "NO_ANSWER",
        "QUEUED",
        "RINGING",
    ),
    ("meetings", "hs_meeting_outcome"): ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
    ("tasks", "hs_task_status"): ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
    ("tasks", "hs_task_priority"): ("NONE", "LOW", "MEDIUM", "HIGH"),
}


@dataclass(frozen=True)
class _BuiltIn:
    """A property every portal has: its type, and whether HubSpot refuses a client's value for it."""

    type: str
    read_only: bool = False


def _built_ins(type_: str, names: str, *, read_only: bool = False) -> dict[str, _BuiltIn]:
    return {name: _BuiltIn(type_, read_only) for name in names.split()}


def _stage_dates(patterns: tuple[str, ...], stages: tuple[str, ...]) -> dict[str, _BuiltIn]:
    return {pattern.format(stage): _BuiltIn("datetime", True) for pattern in patterns for stage in stages}


# HubSpot's stage dates are calculated from the stage's history and refuse a client's value (each
# property's modificationMetadata.readOnlyValue is true): the lifecycle stage dates ("Became a Lead
# Date" hs_lifecyclestage_lead_date ..., "automatically set by HubSpot for each contact"), and the stage
# calculated properties "Date entered/exited <stage>" (hs_v2_date_entered_<stage>, and for deals the
# older hs_date_entered_<stage>), https://knowledge.hubspot.com/properties/stage-calculated-properties.
# createdate and a deal's closedate take a client's value (readOnlyValue false in HubSpot's deal object
# definition). Only what SimCRM sends, and what a client must not send, is listed; the rest is unknown
# here and refused as HubSpot refuses a property a portal does not have.
_LIFECYCLE_DATES = ("hs_lifecyclestage_{}_date", "hs_v2_date_entered_{}", "hs_v2_date_exited_{}")
_DEAL_STAGE_DATES = ("hs_date_entered_{}", "hs_date_exited_{}", "hs_v2_date_entered_{}", "hs_v2_date_exited_{}")
_BUILT_IN_PROPERTIES: dict[str, dict[str, _BuiltIn]] = {
    "contacts": {
        **_built_ins("string", "email firstname lastname jobtitle company industry phone mobilephone city state zip"),
        **_built_ins("string", "country address website"),
        **_built_ins("enumeration", "lifecyclestage hs_lead_status"),
        **_built_ins("datetime", "createdate"),
        **_built_ins("number", "hs_object_id num_associated_deals", read_only=True),
        **_built_ins("datetime", "lastmodifieddate first_deal_created_date recent_deal_close_date", read_only=True),
        **_stage_dates(_LIFECYCLE_DATES, LIFECYCLE_STAGES),
    },
    "companies": {
        **_built_ins("string", "name domain website phone city state zip country address description"),
        **_built_ins("enumeration", "industry lifecyclestage"),
        **_built_ins("number", "numberofemployees annualrevenue"),
        **_built_ins("datetime", "createdate"),
        **_built_ins("number", "hs_object_id num_associated_contacts num_associated_deals", read_only=True),
        **_built_ins("datetime", "hs_lastmodifieddate first_contact_createdate", read_only=True),
        **_stage_dates(_LIFECYCLE_DATES, LIFECYCLE_STAGES),
    },
    "deals": {
        **_built_ins("string", "dealname description closed_lost_reason closed_won_reason"),
        **_built_ins("enumeration", "dealstage pipeline dealtype"),
        **_built_ins("number", "amount"),
        **_built_ins("datetime", "closedate createdate"),
        **_built_ins("number", "hs_object_id days_to_close amount_in_home_currency", read_only=True),
        **_built_ins("datetime", "hs_lastmodifieddate", read_only=True),
        **_stage_dates(_DEAL_STAGE_DATES, DEAL_STAGES),
    },
    # hs_timestamp is required to create an activity (for a task it is its due date). An email's sender and
    # recipients are read-only: HubSpot fills them from hs_email_headers.
    "emails": {
        **_built_ins("string", "hs_email_subject hs_email_text hs_email_html hs_email_headers"),
        **_built_ins("enumeration", "hs_email_direction hs_email_status"),
        **_built_ins("datetime", "hs_timestamp"),
        **_built_ins("string", "hs_email_from_email hs_email_to_email", read_only=True),
    },
    "calls": {
        **_built_ins("string", "hs_call_title hs_call_body hs_call_disposition"),
        **_built_ins("enumeration", "hs_call_direction hs_call_status"),
        **_built_ins("number", "hs_call_duration"),
        **_built_ins("datetime", "hs_timestamp"),
    },
    "meetings": {
        **_built_ins("string", "hs_meeting_title hs_meeting_body hs_internal_meeting_notes hs_meeting_location"),
        **_built_ins("enumeration", "hs_meeting_outcome"),
        **_built_ins("datetime", "hs_timestamp hs_meeting_start_time hs_meeting_end_time"),
    },
    "notes": {
        **_built_ins("string", "hs_note_body"),
        **_built_ins("datetime", "hs_timestamp"),
    },
    "tasks": {
        **_built_ins("string", "hs_task_subject hs_task_body"),
        **_built_ins("enumeration", "hs_task_status hs_task_priority hs_task_type"),
        **_built_ins("datetime", "hs_timestamp"),
        # Set by HubSpot when the task is completed: the moment it saw the completion.
        **_built_ins("datetime", "hs_task_completion_date", read_only=True),
    },
}
for _activity in ACTIVITY_TYPES:
    _BUILT_IN_PROPERTIES[_activity] |= {
        **_built_ins("number", "hs_object_id", read_only=True),
        **_built_ins("datetime", "hs_createdate hs_lastmodifieddate", read_only=True),
    }
# Each object type's own name for its last-modified property.
_LAST_MODIFIED = {object_type: "hs_lastmodifieddate" for object_type in OBJECT_TYPES} | {"contacts": "lastmodifieddate"}
_PROPERTY_TYPES = ("bool", "date", "datetime", "enumeration", "number", "phone_number", "string")
_AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
_SERVER_ERRORS = {500: "internal error", 502: "Bad Gateway", 503: "Service Unavailable"}
_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass
class RequestRecord:
    """One request as the stand-in saw it (the token is kept as its last four characters only)."""

    time: float  # the stand-in's clock (time.monotonic() unless injected)
    method: str
    path: str  # without the query string
    status: int = 0
    token_last4: str = ""
    counted: bool = False  # counted against the limits (authenticated and not a forced failure)
    answered: bool = True  # False for a lost answer (lose_next_answers)


@dataclass
class _Object:
    id: str
    properties: dict[str, str]
    created_at: str
    updated_at: str


_Answer = JsonAnswer


class _HubSpotError(Exception):
    def __init__(self, status: int, message: str, category: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.extra = extra


def _invalid(message: str) -> _HubSpotError:
    return _HubSpotError(400, message, "VALIDATION_ERROR")


def _values_invalid(errors: list[dict[str, Any]]) -> _HubSpotError:
    """HubSpot's refusal of an input's property values: one 400 whose message ends with a JSON list
    naming each property, e.g. [{"isValid":false,"message":"...","error":"READ_ONLY_VALUE","name":"..."}]."""
    return _invalid(f"Property values were not valid: {json.dumps(errors)}")


_EPOCH_MILLIS = re.compile(r"-?\d{1,15}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _datetime_value(value: str) -> str | None:
    """A datetime property's value as HubSpot takes it (epoch milliseconds, or ISO 8601, read as UTC
    without an offset) and stores it (ISO 8601 in UTC, to the millisecond); None when it is neither."""
    try:
        if _EPOCH_MILLIS.fullmatch(value):
            moment = _EPOCH + timedelta(milliseconds=int(value))
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _seconds_to_midnight_utc() -> int:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((midnight - now).total_seconds()))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


Handler = Callable[[dict[str, str], dict[str, list[str]], Any], tuple[int, Any]]


class HubSpotStandIn(JsonStandIn):
    """A threaded HTTP server on 127.0.0.1 that answers like HubSpot's CRM API (the subset SimCRM uses)."""

    handler = JsonHandler

    def __init__(
        self,
        *,
        port: int = 0,
        tokens: set[str] | None = None,
        ten_second_limit: int = 100,
        daily_limit: int = 250_000,
        portal_id: int = 12345678,
        latency_ms: float = 0.0,
        search_lag_ms: float = SEARCH_LAG_SECONDS * 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name="hubspot-standin", host="127.0.0.1", port=port)
        self.tokens: set[str] = set(tokens) if tokens is not None else {STANDIN_TOKEN}
        self.ten_second_limit = ten_second_limit
        self.daily_limit = daily_limit
        self.portal_id = portal_id
        # Seconds before each answer, jittered ±25% (latency_jitter): HubSpot's batch endpoints take about 1 s.
        self.latency = latency_ms / 1000
        self.latency_jitter = 0.25
        self.search_lag = search_lag_ms / 1000
        self._searches: deque[float] = deque()  # the instants of the last second's searches
        self._latency_random = random.Random(latency_ms)
        self.requests: list[RequestRecord] = []
        self._clock = clock
        self._lock = threading.Lock()
        self._random = random.Random()
        self._forced: deque[tuple[int, str]] = deque()
        self._lose = 0
        self._lose_path = re.compile("")
        self._windows: dict[str, deque[float]] = {}
        self._daily: dict[str, int] = {}
        self._next_id = 1000
        self._objects: dict[str, dict[str, _Object]] = {name: {} for name in OBJECT_TYPES}
        # (property, value) -> ids holding it, oldest first: a lookup by email or a unique property is
        # then one dict read, not a scan of the portal (which made big deliveries crawl).
        self._holders: dict[str, dict[tuple[str, str], list[str]]] = {name: {} for name in OBJECT_TYPES}
        self._properties: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in OBJECT_TYPES}
        self._associations: set[tuple[str, str, str, str]] = set()
        self._indexed: dict[tuple[str, str], float] = {}  # when each record was written (its search lag)
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/account-info/v3/details"), self._account),
            ("GET", re.compile(r"/crm/v3/properties/(?P<type>[^/]+)"), self._list_properties),
            ("GET", re.compile(r"/crm/v3/properties/(?P<type>[^/]+)/(?P<name>[^/]+)"), self._get_property),
            ("POST", re.compile(r"/crm/v3/properties/(?P<type>[^/]+)"), self._create_property),
            ("POST", re.compile(r"/crm/v3/properties/(?P<type>[^/]+)/batch/read"), self._read_properties),
            ("POST", re.compile(r"/crm/v3/properties/(?P<type>[^/]+)/batch/create"), self._create_properties),
            ("POST", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)/batch/upsert"), self._batch_upsert),
            ("POST", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)/batch/create"), self._batch_create),
            ("POST", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)/batch/update"), self._batch_update),
            ("POST", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)/search"), self._search),
            ("POST", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)"), self._create_object),
            ("GET", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)"), self._list_objects),
            ("GET", re.compile(r"/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)"), self._get_object),
            (
                "POST",
                re.compile(r"/crm/v4/associations/(?P<from>[^/]+)/(?P<to>[^/]+)/batch/associate/default"),
                self._associate,
            ),
        ]

    # -- control -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- knobs -----------------------------------------------------------------------------------
    def fail_next(self, n: int, status: int = 429, policy: str = "TEN_SECONDLY_ROLLING") -> None:
        """Answer the next n requests with `status` before anything else (no auth, no counting, no write)."""
        with self._lock:
            self._forced.extend([(status, policy)] * n)

    def lose_next_answers(self, n: int, *, path: str = "") -> None:
        """Apply the next n write requests (those whose path the regular expression `path` finds) fully,
        then close the connection without answering."""
        with self._lock:
            self._lose += n
            self._lose_path = re.compile(path)

    def reset_daily(self) -> None:
        with self._lock:
            self._daily.clear()

    @property
    def daily_used(self) -> int:
        """Requests counted against the daily limit since the last reset, all tokens together."""
        with self._lock:
            return sum(self._daily.values())

    def max_in_window(self, seconds: float = WINDOW_SECONDS, token: str | None = None) -> int:
        """The most counted requests (of `token`, or of all) within any `seconds`-long rolling window."""
        with self._lock:
            times = sorted(
                record.time
                for record in self.requests
                if record.counted and (token is None or record.token_last4 == token[-4:])
            )
        best = first = 0
        for last, moment in enumerate(times):
            while moment - times[first] >= seconds:
                first += 1
            best = max(best, last - first + 1)
        return best

    def answer_delay(self) -> float:
        """How long the next answer waits: `latency`, give or take `latency_jitter` of it."""
        if self.latency <= 0:
            return 0.0
        with self._lock:
            spread = self._latency_random.uniform(-self.latency_jitter, self.latency_jitter)
        return self.latency * (1 + spread)

    # -- read-back -------------------------------------------------------------------------------
    def objects(self, object_type: str) -> dict[str, dict[str, str]]:
        with self._lock:
            return {id_: dict(obj.properties) for id_, obj in self._objects[object_type].items()}

    def associations(self) -> set[tuple[str, str, str, str]]:
        with self._lock:
            return set(self._associations)

    def properties_created(self, object_type: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: dict(prop) for name, prop in self._properties[object_type].items()}

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "portalId": self.portal_id,
                "objects": {name: len(objects) for name, objects in self._objects.items()},
                "propertiesCreated": {name: sorted(props) for name, props in self._properties.items()},
                "associations": len(self._associations),
                "requests": len(self.requests),
                "dailyUsed": sum(self._daily.values()),
                "tenSecondLimit": self.ten_second_limit,
                "dailyLimit": self.daily_limit,
            }

    # -- serving ---------------------------------------------------------------------------------
    def handle(self, method: str, target: str, authorization: str, raw: bytes) -> _Answer:
        path, _, query_string = target.partition("?")
        if method == "GET" and path == "/_standin/state":
            return _Answer(200, self.state())
        scheme, _, credentials = authorization.partition(" ")
        token = credentials.strip() if scheme.lower() == "bearer" else ""
        with self._lock:
            record = RequestRecord(time=self._clock(), method=method, path=path, token_last4=token[-4:])
            self.requests.append(record)
            answer = self._answer(record, token, query_string, raw)
            record.status = answer.status
            record.answered = not answer.drop
            return answer

    def _answer(self, record: RequestRecord, token: str, query_string: str, raw: bytes) -> _Answer:
        if self._forced:
            status, policy = self._forced.popleft()
            return self._forced_answer(status, policy, token)
        if token not in self.tokens:
            return _Answer(401, self._error_body(_HubSpotError(401, _AUTH_MESSAGE, "INVALID_AUTHENTICATION")))
        record.counted = True
        window = self._windows.setdefault(token, deque())
        while window and window[0] <= record.time - WINDOW_SECONDS:
            window.popleft()
        window.append(record.time)
        self._daily[token] = self._daily.get(token, 0) + 1
        headers = self._limit_headers(token)
        if self._daily[token] > self.daily_limit:
            retry = _seconds_to_midnight_utc()
            return _Answer(429, self._rate_limit_body("DAILY"), {**headers, "Retry-After": str(retry)})
        if len(window) > self.ten_second_limit:
            # The first moment at which one more request would fit in the window again.
            frees_at = window[len(window) - self.ten_second_limit] + WINDOW_SECONDS
            retry = max(1, math.ceil(frees_at - record.time))
            return _Answer(429, self._rate_limit_body("TEN_SECONDLY_ROLLING"), {**headers, "Retry-After": str(retry)})
        try:
            status, body = self._route(record.method, record.path, query_string, raw)
        except _HubSpotError as error:
            status, body = error.status, self._error_body(error)
        drop = record.method == "POST" and self._lose > 0 and self._lose_path.search(record.path) is not None
        if drop:
            self._lose -= 1
        return _Answer(status, body, headers, drop)

    def _route(self, method: str, path: str, query_string: str, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError as error:
            raise _invalid(f"Invalid input JSON: {error}") from None
        query = parse_qs(query_string)
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                try:
                    return handler(match.groupdict(), query, body)
                except (KeyError, TypeError, ValueError, AttributeError) as error:
                    # A body of the wrong shape, as HubSpot answers it.
                    raise _invalid(f"Invalid input: {error!r}") from None
        raise _HubSpotError(404, f"Unable to find a route for {method} {path}", "OBJECT_NOT_FOUND")

    def _forced_answer(self, status: int, policy: str, token: str) -> _Answer:
        headers = self._limit_headers(token) if token in self.tokens else {}
        if status == 429:
            retry = _seconds_to_midnight_utc() if policy == "DAILY" else 1
            return _Answer(429, self._rate_limit_body(policy), {**headers, "Retry-After": str(retry)})
        message = _SERVER_ERRORS.get(status, "Stand-in forced error")
        category = "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR"
        return _Answer(status, self._error_body(_HubSpotError(status, message, category)), headers)

    def _limit_headers(self, token: str) -> dict[str, str]:
        used = len(self._windows.get(token, ()))
        daily = self._daily.get(token, 0)
        return {
            "X-HubSpot-RateLimit-Max": str(self.ten_second_limit),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.ten_second_limit - used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(WINDOW_SECONDS * 1000)),
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - daily)),
        }

    def _rate_limit_body(self, policy: str) -> dict[str, Any]:
        name = "daily" if policy == "DAILY" else policy.lower()
        return {
            "status": "error",
            "message": f"You have reached your {name} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "groupName": f"publicapi:private-app:{self.portal_id}",
        }

    def _error_body(self, error: _HubSpotError) -> dict[str, Any]:
        return {
            "status": "error",
            "message": error.message,
            "correlationId": str(uuid.uuid4()),
            "category": error.category,
            **error.extra,
        }

    # -- endpoints (called with the lock held) ------------------------------------------------------
    def _account(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        return 200, {
            "portalId": self.portal_id,
            "accountType": "DEVELOPER_TEST",
            "timeZone": "UTC",
            "companyCurrency": "USD",
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }

    def _object_type(self, name: str) -> str:
        if name not in OBJECT_TYPES:
            raise _invalid(f"Unable to infer object type from: {name}")
        return name

    def _list_properties(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type = self._object_type(params["type"])
        names = [*_BUILT_IN_PROPERTIES[object_type], *self._properties[object_type]]
        return 200, {"results": [self._property_json(object_type, name) for name in names]}

    def _get_property(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type, name = self._object_type(params["type"]), params["name"]
        found = self._property_json(object_type, name)
        if found is None:
            raise _HubSpotError(
                404, f"Unable to find property {name} for object type {object_type}", "OBJECT_NOT_FOUND"
            )
        return 200, found

    def _read_properties(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        """Found ones in results; each missing one an OBJECT_NOT_FOUND error, and then 207."""
        object_type = self._object_type(params["type"])
        started = _now_iso()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for item in self._inputs(body):
            name = str(item["name"])
            found = self._property_json(object_type, name)
            if found is not None:
                results.append(found)
                continue
            message = f"Unable to find property {name} for object type {object_type}"
            errors.append(
                {"status": "error", "category": "OBJECT_NOT_FOUND", "message": message, "context": {"name": [name]}}
            )
        return self._batch_answer(results, errors, started, ok=200)

    def _create_property(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type = self._object_type(params["type"])
        name = self._property_input(body)
        if self._definition(object_type, name) is not None:
            raise _HubSpotError(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        return 201, self._property_add(object_type, body)

    def _create_properties(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        """Every input is checked first (a bad one refuses the batch); one that exists already is an
        OBJECT_ALREADY_EXISTS error beside the others' results, and then 207."""
        object_type = self._object_type(params["type"])
        started = _now_iso()
        inputs = self._inputs(body)
        names = [self._property_input(item) for item in inputs]
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for name, item in zip(names, inputs, strict=True):
            if self._definition(object_type, name) is None:
                results.append(self._property_add(object_type, item))
                continue
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_ALREADY_EXISTS",
                    "message": f"Property named '{name}' already exists.",
                    "context": {"name": [name]},
                }
            )
        return self._batch_answer(results, errors, started, ok=201)

    def _batch_answer(
        self, results: list[dict[str, Any]], errors: list[dict[str, Any]], started: str, *, ok: int
    ) -> tuple[int, Any]:
        payload: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started}
        if errors:
            payload.update(numErrors=len(errors), errors=errors)
        payload["completedAt"] = _now_iso()
        return (207 if errors else ok), payload

    def _property_input(self, body: Any) -> str:
        missing = [key for key in ("name", "label", "type", "fieldType", "groupName") if not body.get(key)]
        if missing:
            raise _invalid(f"Property values were not valid: missing {', '.join(missing)}")
        name = str(body["name"])
        if not _PROPERTY_NAME.fullmatch(name):
            raise _invalid(f"Property name '{name}' must be lowercase letters, digits and underscores")
        if body["type"] not in _PROPERTY_TYPES:
            raise _invalid(f"Property type '{body['type']}' is not one of {', '.join(_PROPERTY_TYPES)}")
        return name

    def _property_add(self, object_type: str, body: Any) -> dict[str, Any]:
        if body.get("hasUniqueValue") and object_type not in UNIQUE_PROPERTY_TYPES:
            raise _invalid(f"Property values were not valid: {object_type} do not support unique value properties")
        prop = self._property(
            body["name"],
            body["label"],
            body["type"],
            body["fieldType"],
            body["groupName"],
            bool(body.get("hasUniqueValue")),
        )
        self._properties[object_type][prop["name"]] = prop
        return prop

    def _definition(self, object_type: str, name: str) -> _BuiltIn | None:
        """The portal's property of that name: a built-in one, or one created through the properties API."""
        if name in _BUILT_IN_PROPERTIES[object_type]:
            return _BUILT_IN_PROPERTIES[object_type][name]
        created = self._properties[object_type].get(name)
        return _BuiltIn(created["type"]) if created is not None else None

    def _property_json(self, object_type: str, name: str) -> dict[str, Any] | None:
        if name in self._properties[object_type]:
            return self._properties[object_type][name]
        built_in = _BUILT_IN_PROPERTIES[object_type].get(name)
        if built_in is None:
            return None
        field_type = {"datetime": "date", "number": "number", "enumeration": "select"}.get(built_in.type, "text")
        prop = self._property(name, name, built_in.type, field_type, f"{object_type[:-1]}information", False)
        prop.update(hubspotDefined=True, calculated=built_in.read_only)
        prop["modificationMetadata"].update(readOnlyDefinition=True, readOnlyValue=built_in.read_only)
        return prop

    def _property(self, name: str, label: str, type_: str, field_type: str, group: str, unique: bool) -> dict[str, Any]:
        now = _now_iso()
        return {
            "name": name,
            "label": label,
            "type": type_,
            "fieldType": field_type,
            "groupName": group,
            "description": "",
            "options": [],
            "displayOrder": -1,
            "calculated": False,
            "externalOptions": False,
            "hasUniqueValue": unique,
            "hidden": False,
            "formField": False,
            "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False},
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
        }

    def _unique_names(self, object_type: str) -> set[str]:
        names = {name for name, prop in self._properties[object_type].items() if prop["hasUniqueValue"]}
        return names | {"email"} if object_type == "contacts" else names

    def _normal(self, object_type: str, name: str, value: str) -> str:
        # HubSpot stores and matches contact emails in lower case.
        return value.strip().lower() if object_type == "contacts" and name == "email" else value

    def _find(self, object_type: str, name: str, value: str) -> str | None:
        holders = self._holders[object_type].get((name, value)) if value else None
        return holders[0] if holders else None

    def _clean(self, object_type: str, properties: dict[str, Any]) -> dict[str, str]:
        """One input's properties as HubSpot stores them; refused, naming each property, when one is
        unknown to the portal, read-only, or a datetime that is neither epoch milliseconds nor ISO 8601."""
        cleaned: dict[str, str] = {}
        errors: list[dict[str, Any]] = []

        def refuse(name: str, error: str, message: str) -> None:
            errors.append(
                {
                    "isValid": False,
                    "message": message,
                    "error": error,
                    "name": name,
                    "localizedErrorMessage": message,
                    "portalId": self.portal_id,
                }
            )

        for name, raw in properties.items():
            value = self._normal(object_type, name, _text(raw))
            definition = self._definition(object_type, name)
            if definition is None:
                refuse(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
            elif definition.read_only:
                refuse(name, "READ_ONLY_VALUE", f"{name} is a read only property; its value cannot be set.")
            elif definition.type == "datetime" and value:
                moment = _datetime_value(value)
                if moment is None:
                    refuse(name, "INVALID_LONG", f"{value} was not a valid long.")
                cleaned[name] = moment or value
            else:
                cleaned[name] = value
        if errors:
            raise _values_invalid(errors)
        return cleaned

    def _check_values(self, object_type: str, existing: str | None, properties: dict[str, str]) -> None:
        """HubSpot's rules on lifecycle stages and deal stages; may add the default pipeline to a new deal."""
        if object_type == "contacts" and properties.get("lifecyclestage"):
            stage = properties["lifecyclestage"]
            if stage not in LIFECYCLE_STAGES:
                raise _invalid(f"Property values were not valid: {stage} is not a valid option for lifecyclestage")
            current = self._objects["contacts"][existing].properties.get("lifecyclestage") if existing else None
            if current in LIFECYCLE_STAGES and LIFECYCLE_STAGES.index(stage) < LIFECYCLE_STAGES.index(current):
                raise _invalid(
                    f"Property values were not valid: lifecyclestage cannot move backward from {current} to {stage}"
                )
        if object_type in ACTIVITY_TYPES:
            self._check_activity(object_type, existing, properties)
        if object_type == "deals":
            if properties.get("pipeline", "default") != "default":
                raise _invalid(f"Property values were not valid: {properties['pipeline']} is not a valid pipeline")
            deal_stage = properties.get("dealstage")
            if deal_stage is None and existing is None:
                raise _invalid("Property values were not valid: dealstage is required to create a deal")
            if deal_stage is not None and deal_stage not in DEAL_STAGES:
                raise _invalid(
                    f"Property values were not valid: {deal_stage} is not a valid dealstage for pipeline default"
                )
            if existing is None:
                properties.setdefault("pipeline", "default")

    def _check_activity(self, object_type: str, existing: str | None, properties: dict[str, str]) -> None:
        """An activity's enumerations take HubSpot's values, a new one needs its hs_timestamp, a completed
        task gets HubSpot's completion date (now), and an email's sender and recipient come from its headers."""
        if existing is None and not properties.get("hs_timestamp"):
            raise _invalid(f"Property values were not valid: hs_timestamp is required to create {object_type}")
        for name, value in properties.items():
            allowed = _ENUMERATIONS.get((object_type, name))
            if allowed is not None and value and value not in allowed:
                raise _invalid(f"Property values were not valid: {value} is not a valid option for {name}")
        if object_type == "tasks" and properties.get("hs_task_status") == "COMPLETED":
            done = self._objects["tasks"][existing].properties if existing else {}
            if done.get("hs_task_status") != "COMPLETED":
                properties["hs_task_completion_date"] = _now_iso()
        if object_type == "emails" and "hs_email_headers" in properties:
            try:
                headers = json.loads(properties["hs_email_headers"])
                properties["hs_email_from_email"] = str(headers["from"]["email"])
                properties["hs_email_to_email"] = ";".join(str(to["email"]) for to in headers["to"])
            except (ValueError, KeyError, TypeError):
                raise _invalid(
                    "Property values were not valid: hs_email_headers is not valid email headers JSON"
                ) from None

    def _check_unique(
        self, object_type: str, plans: list[tuple[str | None, dict[str, str]]], status: int, category: str
    ) -> None:
        claimed: dict[tuple[str, str], str] = {}
        for index, (existing, properties) in enumerate(plans):
            target = existing or f"new:{index}"
            for name in self._unique_names(object_type):
                value = properties.get(name)
                if not value:
                    continue
                holder = claimed.setdefault((name, value), target)
                owner = self._find(object_type, name, value)
                if holder != target or (owner is not None and owner != target):
                    raise _HubSpotError(
                        status,
                        f"Property {name} has unique values; {value} is already used by another {object_type[:-1]}",
                        category,
                    )

    def _write(self, object_type: str, existing: str | None, properties: dict[str, str]) -> dict[str, Any]:
        now = _now_iso()
        if existing is None:
            self._next_id += 1
            obj = _Object(str(self._next_id), {}, now, now)
            self._objects[object_type][obj.id] = obj
            self._indexed[object_type, obj.id] = self._clock()
        else:
            obj = self._objects[object_type][existing]
        holders = self._holders[object_type]
        for name, value in properties.items():
            old = obj.properties.get(name)
            if old == value:
                continue
            if old is not None:
                holders[(name, old)].remove(obj.id)
            holders.setdefault((name, value), []).append(obj.id)
        obj.properties.update(properties)
        obj.updated_at = now
        return {**self._object_json(object_type, obj), "new": existing is None}

    def _object_json(self, object_type: str, obj: _Object, only: list[str] | None = None) -> dict[str, Any]:
        # A createdate the client wrote is the record's creation date, in its properties and its createdAt.
        created = obj.properties.get("createdate") or obj.created_at
        properties = {
            **obj.properties,
            "hs_object_id": obj.id,
            ("hs_createdate" if object_type in ACTIVITY_TYPES else "createdate"): created,
            _LAST_MODIFIED[object_type]: obj.updated_at,
        }
        if only is not None:
            properties = {name: value for name, value in properties.items() if name in only or name == "hs_object_id"}
        return {
            "id": obj.id,
            "properties": properties,
            "createdAt": created,
            "updatedAt": obj.updated_at,
            "archived": False,
        }

    def _inputs(self, body: Any) -> list[Any]:
        inputs = body["inputs"]
        if not isinstance(inputs, list):
            raise _invalid("Invalid input: inputs must be a list")
        if len(inputs) > BATCH_LIMIT:
            raise _invalid(f"Invalid input: Batch size of {len(inputs)} exceeds limit of {BATCH_LIMIT}")
        return inputs

    def _batch_upsert(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type = self._object_type(params["type"])
        started = _now_iso()
        unique = self._unique_names(object_type)
        seen: set[tuple[str, str]] = set()
        plans: list[tuple[str | None, dict[str, str]]] = []
        for item in self._inputs(body):
            id_property, raw_id = item["idProperty"], item["id"]
            if not isinstance(id_property, str) or not isinstance(raw_id, str) or not raw_id:
                raise _invalid("Invalid input: idProperty and id must be non-empty strings")
            if id_property not in unique:
                raise _invalid(
                    f"Property values were not valid: {id_property} is not a unique property of {object_type} "
                    "and cannot be used as idProperty"
                )
            value = self._normal(object_type, id_property, raw_id)
            if (id_property, value) in seen:
                raise _invalid(f"Duplicate IDs found in batch input: [{raw_id}]")
            seen.add((id_property, value))
            properties = {**self._clean(object_type, item.get("properties") or {}), id_property: value}
            existing = self._find(object_type, id_property, value)
            self._check_values(object_type, existing, properties)
            plans.append((existing, properties))
        self._check_unique(object_type, plans, 400, "VALIDATION_ERROR")
        results = [self._write(object_type, existing, properties) for existing, properties in plans]
        self._random.shuffle(results)  # HubSpot does not keep the input order
        return 200, {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _now_iso()}

    def _batch_create(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        """Create every input, each with its associations (checked first: a bad one refuses the batch);
        the results come in no particular order, so a client matches them by a property it sent."""
        object_type = self._object_type(params["type"])
        started = _now_iso()
        plans: list[tuple[dict[str, str], list[tuple[str, str]]]] = []
        for item in self._inputs(body):
            properties = self._clean(object_type, item.get("properties") or {})
            self._check_values(object_type, None, properties)
            plans.append((properties, self._association_inputs(object_type, item.get("associations") or [])))
        self._check_unique(object_type, [(None, properties) for properties, _ in plans], 400, "VALIDATION_ERROR")
        results = []
        for properties, associations in plans:
            result = self._write(object_type, None, properties)
            del result["new"]
            for to_type, to_id in associations:
                self._associations.add((object_type, result["id"], to_type, to_id))
            results.append(result)
        self._random.shuffle(results)
        return 201, {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _now_iso()}

    def _association_inputs(self, object_type: str, associations: Any) -> list[tuple[str, str]]:
        """(object type, id) of each association of a create input: its type id must be HubSpot's for that
        pair of objects, and the record must exist."""
        by_type_id = {type_id: to for (from_, to), type_id in ASSOCIATION_TYPE_IDS.items() if from_ == object_type}
        pairs: list[tuple[str, str]] = []
        for association in associations:
            to_id = _text(association["to"]["id"])
            for association_type in association["types"]:
                type_id = association_type["associationTypeId"]
                to_type = by_type_id.get(type_id)
                if association_type["associationCategory"] != "HUBSPOT_DEFINED" or to_type is None:
                    raise _invalid(f"{type_id} is not a valid association type id for {object_type}")
                if to_id not in self._objects[to_type]:
                    raise _invalid(f"No {to_type[:-1]} with id {to_id} exists to associate with")
                pairs.append((to_type, to_id))
        return pairs

    def _batch_update(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type = self._object_type(params["type"])
        started = _now_iso()
        plans: list[tuple[str | None, dict[str, str]]] = []
        for item in self._inputs(body):
            id_ = _text(item["id"])
            if id_ not in self._objects[object_type]:
                raise _HubSpotError(404, f"Object {id_} not found.", "OBJECT_NOT_FOUND", context={"id": [id_]})
            properties = self._clean(object_type, item.get("properties") or {})
            self._check_values(object_type, id_, properties)
            plans.append((id_, properties))
        self._check_unique(object_type, plans, 400, "VALIDATION_ERROR")
        results = [self._write(object_type, existing, properties) for existing, properties in plans]
        for result in results:
            del result["new"]
        return 200, {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _now_iso()}

    def _search(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        """Records whose property is EQ or IN the values asked for, as HubSpot's search index holds them:
        a record written less than search_lag ago is not found yet. Five searches a second at most."""
        object_type = self._object_type(params["type"])
        now = self._clock()
        while self._searches and self._searches[0] <= now - 1.0:
            self._searches.popleft()
        if len(self._searches) >= SEARCH_PER_SECOND:
            raise _HubSpotError(429, "You have reached your secondly limit.", "RATE_LIMITS", policyName="SECONDLY")
        self._searches.append(now)
        limit = int(body.get("limit", 10))
        if not 1 <= limit <= SEARCH_LIMIT:
            raise _invalid(f"limit must be between 1 and {SEARCH_LIMIT}, got {limit}")
        wanted: list[tuple[str, set[str]]] = []
        for group in body.get("filterGroups") or []:
            for condition in group["filters"]:
                values = condition.get("values") if condition["operator"] == "IN" else [condition.get("value")]
                if condition["operator"] not in ("EQ", "IN") or not isinstance(values, list):
                    raise _invalid(f"Unsupported filter: {condition!r}")
                wanted.append((condition["propertyName"], {_text(value) for value in values}))
        indexed_before = now - self.search_lag
        found = [
            obj
            for obj in self._objects[object_type].values()
            if self._indexed.get((object_type, obj.id), now) <= indexed_before
            and all(obj.properties.get(name) in values for name, values in wanted)
        ]
        after = int(body.get("after") or 0)
        page = found[after : after + limit]
        only = list(body.get("properties") or [])
        payload: dict[str, Any] = {
            "total": len(found),
            "results": [self._object_json(object_type, o, only) for o in page],
        }
        if after + limit < len(found):
            payload["paging"] = {"next": {"after": str(after + limit)}}
        return 200, payload

    def _create_object(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type = self._object_type(params["type"])
        properties = self._clean(object_type, body.get("properties") or {})
        if object_type == "contacts" and properties.get("email"):
            existing = self._find("contacts", "email", properties["email"])
            if existing is not None:
                raise _HubSpotError(409, f"Contact already exists. Existing ID: {existing}", "CONFLICT")
        self._check_values(object_type, None, properties)
        self._check_unique(object_type, [(None, properties)], 409, "CONFLICT")
        result = self._write(object_type, None, properties)
        del result["new"]
        return 201, result

    def _list_objects(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type = self._object_type(params["type"])
        limit = int(query.get("limit", ["10"])[0])
        if not 1 <= limit <= 100:
            raise _invalid(f"limit must be between 1 and 100, got {limit}")
        after = int(query.get("after", ["0"])[0])
        only = query["properties"][0].split(",") if "properties" in query else None
        ids = sorted(int(id_) for id_ in self._objects[object_type] if int(id_) >= after)
        page = ids[: limit + 1]
        results = [self._object_json(object_type, self._objects[object_type][str(id_)], only) for id_ in page[:limit]]
        payload: dict[str, Any] = {"results": results}
        if len(page) > limit:
            payload["paging"] = {"next": {"after": str(page[limit])}}
        return 200, payload

    def _get_object(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        object_type = self._object_type(params["type"])
        id_ = params["id"]
        if "idProperty" in query:
            name = query["idProperty"][0]
            id_ = self._find(object_type, name, self._normal(object_type, name, id_)) or ""
        only = query["properties"][0].split(",") if "properties" in query else None
        if id_ not in self._objects[object_type]:
            raise _HubSpotError(404, "Object not found.", "OBJECT_NOT_FOUND", context={"id": [params["id"]]})
        return 200, self._object_json(object_type, self._objects[object_type][id_], only)

    def _associate(self, params: dict[str, str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        from_type, to_type = self._object_type(params["from"]), self._object_type(params["to"])
        type_id = ASSOCIATION_TYPE_IDS.get((from_type, to_type))
        if type_id is None:
            raise _invalid(f"No default association type from {from_type} to {to_type}")
        started = _now_iso()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for item in self._inputs(body):
            from_id, to_id = _text(item["from"]["id"]), _text(item["to"]["id"])
            context = {
                key: [id_]
                for key, id_, object_type in (("fromObjectId", from_id, from_type), ("toObjectId", to_id, to_type))
                if id_ not in self._objects[object_type]
            }
            if context:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "message": f"No object found for {', '.join(f'{k} {v[0]}' for k, v in context.items())}",
                        "context": context,
                    }
                )
                continue
            # HubSpot's associations have no direction: the reverse pair is the same association.
            if (to_type, to_id, from_type, from_id) not in self._associations:
                self._associations.add((from_type, from_id, to_type, to_id))
            results.append(
                {
                    "fromObjectTypeId": OBJECT_TYPE_IDS[from_type],
                    "fromObjectId": int(from_id),
                    "toObjectTypeId": OBJECT_TYPE_IDS[to_type],
                    "toObjectId": int(to_id),
                    "associationTypes": [
                        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id, "label": None}
                    ],
                }
            )
        payload: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started}
        if errors:
            payload.update(numErrors=len(errors), errors=errors)
        payload["completedAt"] = _now_iso()
        return (207 if errors else 200), payload


def serve(
    *,
    port: int = 8765,
    token: str = STANDIN_TOKEN,
    tier: str = "starter",
    daily_limit: int = 250_000,
    latency_ms: float = 0.0,
    search_lag_ms: float = SEARCH_LAG_SECONDS * 1000,
) -> None:
    """Serve until SIGTERM or SIGINT; print the base URL on the first line once listening."""
    standin = HubSpotStandIn(
        port=port,
        tokens={token},
        ten_second_limit=TIER_LIMITS[tier],
        daily_limit=daily_limit,
        latency_ms=latency_ms,
        search_lag_ms=search_lag_ms,
    )

    def banner() -> str:
        connection = {"name": "Local stand-in", "kind": "hubspot", "access_token": token, "base_url": standin.base_url}
        if tier != "starter":
            connection["tier"] = tier
        return (
            f"{standin.base_url}\n"
            f"HubSpot stand-in (portal {standin.portal_id}) listening on {standin.base_url}\n"
            f"Access token: {token}\n"
            f"Limits: {standin.ten_second_limit} requests per 10 s ({tier}), {daily_limit} per day\n"
            f"Latency: {latency_ms:.0f} ms per answer (±{standin.latency_jitter:.0%})\n"
            f"Connect SimCRM with: POST /api/connections/ {json.dumps(connection)}\n"
            f"What it holds: GET {standin.base_url}/_standin/state\n"
            "Ctrl+C stops it.\n"
        )

    standin.serve_until_stopped(banner)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
    parser.add_argument("--token", default=STANDIN_TOKEN, help="the bearer token it accepts")
    parser.add_argument("--tier", choices=sorted(TIER_LIMITS), default="starter", help="sets the 10 s limit")
    parser.add_argument("--daily-limit", type=int, default=250_000)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="answer every request after about this many ms (±25%%); HubSpot's batch endpoints take about 800",
    )
    parser.add_argument(
        "--search-lag-ms",
        type=float,
        default=SEARCH_LAG_SECONDS * 1000,
        help="a new record shows in search this many ms after it is written (HubSpot's search index lags)",
    )


def serve_from_arguments(args: argparse.Namespace | dict[str, Any]) -> None:
    values = vars(args) if isinstance(args, argparse.Namespace) else args
    serve(
        port=values["port"],
        token=values["token"],
        tier=values["tier"],
        daily_limit=values["daily_limit"],
        latency_ms=values.get("latency_ms") or 0.0,
        search_lag_ms=values.get("search_lag_ms", SEARCH_LAG_SECONDS * 1000),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local stand-in for the HubSpot API subset SimCRM uses.")
    add_arguments(parser)
    serve_from_arguments(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
