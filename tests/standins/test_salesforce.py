"""The Salesforce stand-in, over real HTTP: its OAuth token endpoint, sessions that expire, the daily allocation
and its header, describes, the Tooling API, sObject Collections with per-record errors, SOQL lookups, records by
external id, its knobs and read-back, and the command."""

import base64
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from standins.salesforce import (
    API_VERSION,
    BATCH_LIMIT,
    ORG_ID,
    STANDIN_CLIENT_ID,
    STANDIN_CLIENT_SECRET,
    SalesforceStandIn,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = f"/services/data/v{API_VERSION}"
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
NOT_WRITABLE = (
    "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is "
    "read/write for your profile or permission set."
)
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}
EXTERNAL_ID = {"label": "SimCRM Id", "type": "Text", "length": 100, "externalId": True, "unique": True}


class Clock:
    """A hand-moved clock, so tokens expire without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org(clock: Clock) -> Iterator[SalesforceStandIn]:
    with SalesforceStandIn(token_seconds=60, clock=clock) as standin:
        yield standin


def token(org: SalesforceStandIn, **form: str) -> httpx.Response:
    sent = {"grant_type": "client_credentials", "client_id": STANDIN_CLIENT_ID, "client_secret": STANDIN_CLIENT_SECRET}
    return httpx.post(f"{org.base_url}/services/oauth2/token", data={**sent, **form})


def client(org: SalesforceStandIn) -> httpx.Client:
    access = token(org).json()["access_token"]
    return httpx.Client(base_url=f"{org.base_url}{DATA}", headers={"Authorization": f"Bearer {access}"}, timeout=10)


@pytest.fixture
def api(org: SalesforceStandIn) -> Iterator[httpx.Client]:
    with client(org) as session:
        yield session


def insert(api: httpx.Client, records: list[dict[str, Any]], *, all_or_none: bool = False) -> list[dict[str, Any]]:
    answer = api.post("/composite/sobjects", json={"allOrNone": all_or_none, "records": records})
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()
    assert len(results) == len(records)
    return results


def update(api: httpx.Client, records: list[dict[str, Any]], *, all_or_none: bool = False) -> list[dict[str, Any]]:
    answer = api.patch("/composite/sobjects", json={"allOrNone": all_or_none, "records": records})
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()
    return results


def upsert(api: httpx.Client, sobject: str, key: str, records: list[dict[str, Any]]) -> httpx.Response:
    return api.patch(f"/composite/sobjects/{sobject}/{key}", json={"allOrNone": False, "records": records})


def custom_field(api: httpx.Client, full_name: str, metadata: dict[str, Any] | None = None) -> httpx.Response:
    return api.post(
        "/tooling/sobjects/CustomField", json={"FullName": full_name, "Metadata": metadata or dict(EXTERNAL_ID)}
    )


def with_external_ids(api: httpx.Client, *sobjects: str) -> None:
    for sobject in sobjects or ("Account", "Contact", "Opportunity", "Task", "Event"):
        created = custom_field(api, f"{sobject}.SimCRM_Id__c")
        assert created.status_code == 201, created.text


def record(sobject: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": sobject}, **fields}


def account(name: str, **fields: Any) -> dict[str, Any]:
    return record("Account", Name=name, **fields)


def contact(last_name: str, **fields: Any) -> dict[str, Any]:
    return record("Contact", LastName=last_name, **fields)


def deal(name: str, stage: str = "Prospecting", **fields: Any) -> dict[str, Any]:
    return record("Opportunity", Name=name, StageName=stage, CloseDate="2026-03-01", **fields)


def error(result: dict[str, Any]) -> dict[str, Any]:
    assert result["success"] is False, result
    first: dict[str, Any] = result["errors"][0]
    return first


def refused(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert isinstance(body, list) and body[0]["errorCode"] == code, body
    message: str = body[0]["message"]
    return message


def describe(api: httpx.Client, sobject: str) -> dict[str, dict[str, Any]]:
    answer = api.get(f"/sobjects/{sobject}/describe")
    assert answer.status_code == 200, answer.text
    return {field["name"]: field for field in answer.json()["fields"]}


def recent(value: str) -> bool:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return abs(datetime.now(UTC) - moment) < timedelta(seconds=60)


# --- OAuth and sessions --------------------------------------------------------------------------


def test_a_token_comes_for_the_right_client_credentials_only_and_costs_no_request(org: SalesforceStandIn) -> None:
    issued = token(org)
    assert issued.status_code == 200
    body = issued.json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"}
    org_id, _, secret = body["access_token"].partition("!")
    assert org_id == ORG_ID and len(secret) >= 40
    assert body["instance_url"] == org.base_url
    assert body["id"] == f"{org.base_url}/id/{ORG_ID}/005000000000001AAA"
    assert (body["token_type"], body["scope"]) == ("Bearer", "api")
    assert abs(int(body["issued_at"]) - time.time() * 1000) < 60_000
    assert len(base64.b64decode(body["signature"], validate=True)) >= 16
    assert token(org).json()["access_token"] != body["access_token"]
    invalid_client = {"error": "invalid_client", "error_description": "invalid client credentials"}
    for wrong in ({"client_secret": "wrong"}, {"client_id": "3MVG9someone.else"}):
        answer = token(org, **wrong)
        assert (answer.status_code, answer.json()) == (400, invalid_client)
    answer = token(org, grant_type="password")
    assert answer.status_code == 400
    assert answer.json() == {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
    assert org.daily_used == 0
    assert [(r.method, r.path, r.status, r.counted) for r in org.requests] == [
        *[("POST", "/services/oauth2/token", 200, False)] * 2,
        *[("POST", "/services/oauth2/token", 400, False)] * 3,
    ]


def test_a_missing_unknown_or_expired_token_is_401_and_not_counted(
    org: SalesforceStandIn, clock: Clock, api: httpx.Client
) -> None:
    assert api.get("/limits").status_code == 200
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        answer = httpx.get(f"{org.base_url}{DATA}/limits", headers=headers)
        assert (answer.status_code, answer.json()) == (401, SESSION_EXPIRED)
        assert "Sforce-Limit-Info" not in answer.headers
    clock.now += 59
    assert api.get("/limits").status_code == 200
    clock.now += 2  # the token lived token_seconds (60)
    expired = api.get("/limits")
    assert (expired.status_code, expired.json()) == (401, SESSION_EXPIRED)
    fresh = {"Authorization": f"Bearer {token(org).json()['access_token']}"}
    assert api.get("/limits", headers=fresh).status_code == 200
    org.expire_tokens()
    assert api.get("/limits", headers=fresh).status_code == 401
    assert api.get("/limits", headers={"Authorization": f"Bearer {token(org).json()['access_token']}"}).is_success
    assert org.daily_used == 4


# --- the daily allocation ------------------------------------------------------------------------


def test_every_data_request_counts_against_the_daily_allocation_and_says_so(clock: Clock) -> None:
    with SalesforceStandIn(daily_limit=5, clock=clock) as org, client(org) as api:
        first = api.get("/limits")
        assert first.headers["Sforce-Limit-Info"] == "api-usage=1/5"
        assert first.json() == {
            "DailyApiRequests": {"Max": 5, "Remaining": 4},
            "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
        }
        invalid = api.post("/composite/sobjects", json={"records": []})  # refused, and counted
        assert invalid.status_code == 400 and invalid.headers["Sforce-Limit-Info"] == "api-usage=2/5"
        unknown = api.get("/nothing/here")
        assert unknown.status_code == 404 and unknown.headers["Sforce-Limit-Info"] == "api-usage=3/5"
        assert api.get("/sobjects/Account/describe").headers["Sforce-Limit-Info"] == "api-usage=4/5"
        assert api.get("/limits").json()["DailyApiRequests"] == {"Max": 5, "Remaining": 0}
        over = api.get("/limits")
        assert over.status_code == 403
        assert over.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        assert over.headers["Sforce-Limit-Info"] == "api-usage=5/5"
        assert org.daily_used == 5 and org.requests[-1].counted is False
        assert token(org).status_code == 200  # a token is still given

        org.reset_daily()
        assert org.daily_used == 0
        assert api.get("/limits").headers["Sforce-Limit-Info"] == "api-usage=1/5"
        org.exhaust_daily()
        assert org.daily_used == 5
        assert refused(api.get("/limits"), 403, "REQUEST_LIMIT_EXCEEDED") == "TotalRequests Limit exceeded."
        assert org.daily_used == 5


# --- describe and the Tooling API ----------------------------------------------------------------

STANDARD_FIELDS: dict[str, dict[str, str]] = {
    "Account": {
        "Id": "id",
        "Name": "string",
        "Website": "url",
        "Industry": "picklist",
        "Description": "textarea",
        "BillingCity": "string",
        "BillingCountry": "string",
        "NumberOfEmployees": "int",
        "Phone": "phone",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    },
    "Contact": {
        "Id": "id",
        "FirstName": "string",
        "LastName": "string",
        "Email": "email",
        "Title": "string",
        "Phone": "phone",
        "MailingCity": "string",
        "MailingCountry": "string",
        "AccountId": "reference",
        "LeadSource": "picklist",
        "Description": "textarea",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    },
    "Opportunity": {
        "Id": "id",
        "Name": "string",
        "StageName": "picklist",
        "Amount": "currency",
        "CloseDate": "date",
        "AccountId": "reference",
        "ContactId": "reference",
        "Probability": "percent",
        "IsClosed": "boolean",
        "IsWon": "boolean",
        "Description": "textarea",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    },
    "OpportunityContactRole": {
        "Id": "id",
        "OpportunityId": "reference",
        "ContactId": "reference",
        "Role": "picklist",
        "IsPrimary": "boolean",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    },
    "Task": {
        "Id": "id",
        "Subject": "combobox",
        "Description": "textarea",
        "ActivityDate": "date",
        "Status": "picklist",
        "Priority": "picklist",
        "TaskSubtype": "picklist",
        "CallType": "picklist",
        "CallDurationInSeconds": "int",
        "WhoId": "reference",
        "WhatId": "reference",
        "CompletedDateTime": "datetime",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    },
    "Event": {
        "Id": "id",
        "Subject": "combobox",
        "Description": "textarea",
        "StartDateTime": "datetime",
        "EndDateTime": "datetime",
        "DurationInMinutes": "int",
        "ActivityDateTime": "datetime",
        "WhoId": "reference",
        "WhatId": "reference",
        "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    },
}
FIELD_KEYS = {
    "name",
    "type",
    "createable",
    "updateable",
    "nillable",
    "externalId",
    "unique",
    "length",
    "picklistValues",
}


@pytest.mark.parametrize("sobject", sorted(STANDARD_FIELDS))
def test_describe_gives_each_sobjects_standard_fields(api: httpx.Client, sobject: str) -> None:
    answer = api.get(f"/sobjects/{sobject}/describe")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["name"], body["custom"]) == (sobject, False)
    assert {field["name"]: field["type"] for field in body["fields"]} == STANDARD_FIELDS[sobject]
    for field in body["fields"]:
        assert FIELD_KEYS <= set(field), field
        assert field["externalId"] is False and field["unique"] is False
        read_only = field["name"] in ("Id", "IsClosed", "IsWon", "CompletedDateTime", "LastModifiedDate")
        assert field["createable"] is not read_only, field
        insert_only = field["name"] in ("CreatedDate", "TaskSubtype")
        insert_only |= (sobject, field["name"]) == ("Opportunity", "ContactId")
        assert field["updateable"] is not (read_only or insert_only), field
        assert (field["type"] in ("string", "textarea", "url", "email", "phone")) <= (field["length"] > 0)


def test_describe_says_what_is_required_restricted_and_defaulted(api: httpx.Client) -> None:
    fields = {sobject: describe(api, sobject) for sobject in ("Account", "Contact", "Opportunity", "Task", "Event")}
    required = {name for sobject in fields.values() for name, field in sobject.items() if not field["nillable"]}
    assert {"Name", "LastName", "StageName", "CloseDate", "StartDateTime"} <= required
    assert fields["Contact"]["FirstName"]["nillable"] is True
    stages = [value["value"] for value in fields["Opportunity"]["StageName"]["picklistValues"]]
    assert stages == [
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
    ]
    assert fields["Opportunity"]["StageName"]["picklistValues"][0] == {
        "value": "Prospecting",
        "label": "Prospecting",
        "active": True,
        "defaultValue": False,
    }
    assert fields["Opportunity"]["StageName"]["restrictedPicklist"] is True
    assert fields["Account"]["Industry"]["restrictedPicklist"] is False
    assert fields["Opportunity"]["ContactId"]["referenceTo"] == ["Contact"]
    assert fields["Task"]["WhatId"]["referenceTo"] == ["Account", "Opportunity"]
    defaults = {
        name: [value["value"] for value in fields["Task"][name]["picklistValues"] if value["defaultValue"]]
        for name in ("Status", "Priority", "CallType")
    }
    assert defaults == {"Status": ["Not Started"], "Priority": ["Normal"], "CallType": []}
    assert [value["value"] for value in fields["Task"]["TaskSubtype"]["picklistValues"]] == [
        "Task",
        "Email",
        "Call",
        "ListEmail",
        "Cadence",
    ]


def test_created_date_is_createable_only_where_audit_fields_are(clock: Clock) -> None:
    for audit in (True, False):
        with SalesforceStandIn(audit_fields=audit, clock=clock) as org, client(org) as api:
            created = describe(api, "Account")["CreatedDate"]
            assert (created["createable"], created["updateable"]) == (audit, False)


def test_an_unknown_sobject_is_not_found(api: httpx.Client) -> None:
    answer = api.get("/sobjects/Lead/describe")
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)


def test_a_custom_field_is_created_once_and_then_described_and_writable(
    org: SalesforceStandIn, api: httpx.Client
) -> None:
    created = custom_field(api, "Account.SimCRM_Id__c")
    assert created.status_code == 201
    body = created.json()
    assert body["id"].startswith("00N") and len(body["id"]) == 18
    assert {key: value for key, value in body.items() if key != "id"} == {
        "success": True,
        "errors": [],
        "warnings": [],
        "infos": [],
    }
    kinds = {
        "Text": "string",
        "DateTime": "datetime",
        "Date": "date",
        "Number": "double",
        "Checkbox": "boolean",
        "LongTextArea": "textarea",
    }
    for kind in kinds:
        metadata = {"label": kind, "type": kind, **({"length": 40} if kind == "Text" else {})}
        assert custom_field(api, f"Account.My_{kind}__c", metadata).status_code == 201
    fields = describe(api, "Account")
    simcrm_id = fields["SimCRM_Id__c"]
    assert (simcrm_id["type"], simcrm_id["externalId"], simcrm_id["unique"]) == ("string", True, True)
    assert (simcrm_id["createable"], simcrm_id["updateable"], simcrm_id["length"]) == (True, True, 100)
    assert {kind: fields[f"My_{kind}__c"]["type"] for kind in kinds} == kinds
    assert fields["My_Text__c"]["externalId"] is False and fields["My_Text__c"]["unique"] is False
    assert "SimCRM_Id__c" not in describe(api, "Contact")

    duplicate = custom_field(api, "Account.SimCRM_Id__c")
    assert duplicate.status_code == 400
    assert duplicate.json() == [
        {"message": "There is already a field named SimCRM_Id__c on Account.", "errorCode": "DUPLICATE_DEVELOPER_NAME"}
    ]
    for bad in ("Account.SimCRM_Id", "SimCRM_Id__c", "Lead.SimCRM_Id__c", "Account.Simcrm__Id__c", "Account.__c"):
        refused(custom_field(api, bad), 400, "INVALID_FIELD")
    assert org.state()["customFields"]["Account"] == ["SimCRM_Id__c", *(f"My_{kind}__c" for kind in kinds)]

    written = insert(
        api,
        [
            account(
                "Acme",
                SimCRM_Id__c="acc-1",
                My_DateTime__c="2026-01-02T03:04:05.000Z",
                My_Date__c="2026-01-02",
                My_Number__c=4.5,
                My_Checkbox__c=True,
                My_LongTextArea__c="long " * 100,
            )
        ],
    )[0]
    assert written["success"], written
    held = org.objects("Account")[written["id"]]
    assert (held["SimCRM_Id__c"], held["My_Number__c"], held["My_Checkbox__c"]) == ("acc-1", 4.5, True)


def test_field_creation_can_be_refused(clock: Clock) -> None:
    with SalesforceStandIn(field_creation=False, clock=clock) as org, client(org) as api:
        answer = custom_field(api, "Account.SimCRM_Id__c")
        assert answer.status_code == 403
        assert answer.json() == [
            {"message": "insufficient access rights on cross-reference id", "errorCode": "INSUFFICIENT_ACCESS"}
        ]
        assert "SimCRM_Id__c" not in describe(api, "Account")


# --- inserts -------------------------------------------------------------------------------------


def test_an_insert_answers_each_record_in_order_with_its_own_error(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api, "Account")
    results = insert(
        api,
        [
            account("Acme", SimCRM_Id__c="a-1"),
            record("Account", Website="no-name.example"),
            account("Acme again", SimCRM_Id__c="A-1"),  # unique values compare case-insensitively
            deal("Deal", stage="Won-ish"),
            account("Beta", SimCRM_Id__c="b-1"),
            account("Beta again", SimCRM_Id__c="b-1"),  # against the record before it in the same batch
        ],
    )
    first, beta = results[0]["id"], results[4]["id"]
    assert results[0] == {"id": first, "success": True, "errors": []} and first.startswith("001")
    assert results[4]["success"] and beta.startswith("001") and beta != first
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert error(results[2]) == {
        "statusCode": "DUPLICATE_VALUE",
        "message": f"duplicate value found: SimCRM_Id__c duplicates value on record with id: {first}",
        "fields": [],
    }
    assert error(results[3]) == {
        "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "message": "bad value for restricted picklist field: Won-ish",
        "fields": ["StageName"],
    }
    assert error(results[5])["message"].endswith(f"on record with id: {beta}")
    assert set(org.objects("Account")) == {first, beta} and not org.objects("Opportunity")
    assert org.duplicates_refused == 2
    assert org.records_by_external_id("Account") == {"a-1": [first], "b-1": [beta]}


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        (record("Account"), ["Name"]),
        (record("Account", Name=""), ["Name"]),
        (record("Contact", FirstName="Ada"), ["LastName"]),
        (record("Opportunity"), ["Name", "StageName", "CloseDate"]),
        (record("Opportunity", Name="D", CloseDate="2026-01-01", StageName=None), ["StageName"]),
        (record("Event", Subject="Call"), ["StartDateTime", "EndDateTime"]),
        (record("Event", StartDateTime="2026-01-02T03:04:05.000Z"), ["EndDateTime"]),
    ],
)
def test_a_record_without_its_required_fields_is_refused(
    api: httpx.Client, given: dict[str, Any], missing: list[str]
) -> None:
    assert error(insert(api, [given])[0]) == {
        "statusCode": "REQUIRED_FIELD_MISSING",
        "message": f"Required fields are missing: [{', '.join(missing)}]",
        "fields": missing,
    }


def test_an_event_needs_an_end_or_a_duration(org: SalesforceStandIn, api: httpx.Client) -> None:
    start = "2026-01-02T03:04:05.000Z"
    results = insert(
        api,
        [
            record("Event", StartDateTime=start, EndDateTime="2026-01-02T04:04:05.000Z"),
            record("Event", StartDateTime=start, DurationInMinutes=30),
        ],
    )
    assert all(result["success"] for result in results), results
    assert len(org.objects("Event")) == 2


@pytest.mark.parametrize(
    ("sobject", "field", "value"),
    [
        ("Account", "Id", "001000000000099AAA"),
        ("Account", "LastModifiedDate", "2026-01-02T03:04:05.000Z"),
        ("Opportunity", "IsClosed", True),
        ("Opportunity", "IsWon", False),
        ("Task", "CompletedDateTime", "2026-01-02T03:04:05.000Z"),
    ],
)
def test_a_read_only_field_is_refused_on_insert(
    org: SalesforceStandIn, api: httpx.Client, sobject: str, field: str, value: Any
) -> None:
    minimal = {"Account": account("A"), "Opportunity": deal("D"), "Task": record("Task", Subject="S")}[sobject]
    assert error(insert(api, [{**minimal, field: value}])[0]) == {
        "statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
        "message": NOT_WRITABLE.format(field),
        "fields": [field],
    }
    assert not org.objects(sobject)


def test_created_date_is_taken_on_insert_only_where_audit_fields_are(clock: Clock) -> None:
    past = "2025-03-04T05:06:07.000Z"
    for audit in (True, False):
        with SalesforceStandIn(audit_fields=audit, clock=clock) as org, client(org) as api:
            result = insert(api, [account("Old", CreatedDate=past)])[0]
            if audit:
                assert org.objects("Account")[result["id"]]["CreatedDate"] == past
            else:
                assert error(result) == {
                    "statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "message": NOT_WRITABLE.format("CreatedDate"),
                    "fields": ["CreatedDate"],
                }
                assert not org.objects("Account")


def test_an_insert_sets_the_orgs_own_fields(org: SalesforceStandIn, api: httpx.Client) -> None:
    person = insert(api, [contact("Vane")])[0]["id"]
    results = insert(
        api,
        [
            account("Now"),
            deal("Won", stage="Closed Won", ContactId=person),
            deal("Lost", stage="Closed Lost"),
            deal("Open"),
            record("Task", Subject="Done", Status="Completed"),
            record("Task", Subject="To do"),
        ],
    )
    assert all(result["success"] for result in results), results
    now_account, won, lost, open_, done, todo = (result["id"] for result in results)
    held = org.objects("Account")[now_account]
    assert recent(held["CreatedDate"]) and recent(held["LastModifiedDate"])
    deals = org.objects("Opportunity")
    assert [(deals[id_]["IsClosed"], deals[id_]["IsWon"]) for id_ in (won, lost, open_)] == [
        (True, True),
        (True, False),
        (False, False),
    ]
    roles = list(org.objects("OpportunityContactRole").values())
    assert len(roles) == 1
    assert roles[0]["Id"].startswith("00K")
    assert {name: roles[0][name] for name in ("OpportunityId", "ContactId", "IsPrimary", "Role")} == {
        "OpportunityId": won,
        "ContactId": person,
        "IsPrimary": True,
        "Role": None,
    }
    tasks = org.objects("Task")
    assert recent(tasks[done]["CompletedDateTime"])
    assert "CompletedDateTime" not in tasks[todo]
    assert (tasks[todo]["Status"], tasks[todo]["Priority"]) == ("Not Started", "Normal")


def test_a_reference_must_name_a_record_of_its_sobject(org: SalesforceStandIn, api: httpx.Client) -> None:
    company, person = (result["id"] for result in insert(api, [account("Acme"), contact("Vane")]))
    opportunity = insert(api, [deal("D", AccountId=company)])[0]["id"]
    results = insert(
        api,
        [
            contact("Good", AccountId=company),
            contact("Short id", AccountId=company[:15]),
            contact("Nowhere", AccountId="001000000009999AAA"),
            contact("Wrong sObject", AccountId=person),
            record("Task", Subject="On the account", WhoId=person, WhatId=company),
            record("Task", Subject="On the deal", WhatId=opportunity),
            record("Task", Subject="Who is an account", WhoId=company),
            record("Event", StartDateTime="2026-01-02T03:04:05Z", DurationInMinutes=5, WhatId=person),
        ],
    )
    assert [result["success"] for result in results] == [True, True, False, False, True, True, False, False]
    assert org.objects("Contact")[results[1]["id"]]["AccountId"] == company
    for index, field in ((2, "AccountId"), (3, "AccountId"), (6, "WhoId"), (7, "WhatId")):
        assert error(results[index]) == {
            "statusCode": "INVALID_CROSS_REFERENCE_KEY",
            "message": "invalid cross reference id",
            "fields": [field],
        }


def test_a_relationship_by_external_id_resolves_to_the_records_id(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api)
    company = insert(api, [account("Acme", SimCRM_Id__c="acc-1")])[0]["id"]
    person = insert(api, [contact("Vane", SimCRM_Id__c="con-1", Account={"SimCRM_Id__c": "ACC-1"})])[0]["id"]
    assert org.objects("Contact")[person]["AccountId"] == company
    results = insert(
        api,
        [
            deal("D", SimCRM_Id__c="deal-1", Account={"SimCRM_Id__c": "acc-1"}, Contact={"SimCRM_Id__c": "con-1"}),
            contact("Lost", Account={"SimCRM_Id__c": "acc-404"}),
            contact("Both", AccountId=company, Account={"SimCRM_Id__c": "acc-1"}),
        ],
    )
    opportunity = results[0]["id"]
    held_deal = org.objects("Opportunity")[opportunity]
    assert (held_deal["AccountId"], held_deal["ContactId"]) == (company, person)
    assert error(results[1]) == {
        "statusCode": "INVALID_FIELD",
        "message": "Foreign key external ID: acc-404 not found for field SimCRM_Id__c in entity Account",
        "fields": [],
    }
    assert error(results[2])["statusCode"] == "INVALID_FIELD"
    tasks = insert(
        api,
        [
            record(
                "Task",
                Subject="By external ids",
                Who={"SimCRM_Id__c": "con-1"},
                What={"attributes": {"type": "Opportunity"}, "SimCRM_Id__c": "deal-1"},
            ),
            record("Task", Subject="Untyped What", What={"SimCRM_Id__c": "deal-1"}),
            record("Task", Subject="Not an external id", What={"attributes": {"type": "Account"}, "Name": "Acme"}),
        ],
    )
    held = org.objects("Task")[tasks[0]["id"]]
    assert (held["WhoId"], held["WhatId"]) == (person, opportunity)
    assert error(tasks[1])["statusCode"] == error(tasks[2])["statusCode"] == "INVALID_FIELD"


def test_a_text_longer_than_its_field_is_refused(org: SalesforceStandIn, api: httpx.Client) -> None:
    results = insert(api, [contact("x" * 80), contact("x" * 81), deal("d" * 121)])
    assert results[0]["success"]
    assert error(results[1])["statusCode"] == "STRING_TOO_LONG" and error(results[1])["fields"] == ["LastName"]
    assert error(results[2])["fields"] == ["Name"]  # an Opportunity's name takes 120
    assert len(org.objects("Contact")) == 1


def test_dates_and_datetimes_take_salesforces_formats(org: SalesforceStandIn, api: httpx.Client) -> None:
    accepted = [
        "2026-01-02T03:04:05.000Z",
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:04:05.000+00:00",
        "2026-01-02T03:04:05.000+0100",
    ]
    results = insert(api, [record("Event", StartDateTime=moment, DurationInMinutes=5) for moment in accepted])
    assert all(result["success"] for result in results), results
    held = org.objects("Event")
    assert [held[result["id"]]["StartDateTime"] for result in results] == accepted
    for sobject, field, bad in [
        ("Event", "StartDateTime", "2026-01-02 03:04:05"),
        ("Event", "StartDateTime", "2026-01-02T03:04:05"),  # no zone
        ("Event", "StartDateTime", "2026-13-02T03:04:05Z"),
        ("Event", "StartDateTime", "yesterday"),
        ("Opportunity", "CloseDate", "2026-02-30"),
        ("Opportunity", "CloseDate", "02/03/2026"),
        ("Opportunity", "CloseDate", "2026-01-02T00:00:00Z"),
        ("Account", "NumberOfEmployees", "many"),
        ("Account", "NumberOfEmployees", 1.5),
        ("Opportunity", "Amount", "lots"),
    ]:
        minimal = {
            "Event": record("Event", DurationInMinutes=5),
            "Opportunity": deal("D"),
            "Account": account("A"),
        }[sobject]
        # The whole request is refused, its valid record too.
        answer = api.post("/composite/sobjects", json={"records": [account("Fine"), {**minimal, field: bad}]})
        message = refused(answer, 400, "JSON_PARSER_ERROR")
        assert str(bad) in message
    assert not org.objects("Account") and not org.objects("Opportunity") and len(org.objects("Event")) == 4


def test_a_malformed_collection_is_refused_whole(org: SalesforceStandIn, api: httpx.Client) -> None:
    def post(body: Any) -> httpx.Response:
        return api.post("/composite/sobjects", json=body)

    unknown = post({"records": [account("Fine"), account("X", Colour__c="red")]})
    assert unknown.status_code == 400
    assert unknown.json() == [
        {"message": "No such column 'Colour__c' on sobject of type Account", "errorCode": "INVALID_FIELD"}
    ]
    assert refused(post({"records": [contact("X", What={"Id": "x"})]}), 400, "INVALID_FIELD")
    assert refused(post({"records": [{"Name": "No attributes"}]}), 400, "INVALID_TYPE")
    assert refused(post({"records": [{"attributes": {}, "Name": "No type"}]}), 400, "INVALID_TYPE")
    assert refused(post({"records": [record("Lead", LastName="L")]}), 400, "INVALID_TYPE")
    assert refused(post({"records": []}), 400, "INVALID_BATCH_SIZE")
    assert refused(post({"records": [account(f"A{i}") for i in range(BATCH_LIMIT + 1)]}), 400, "INVALID_BATCH_SIZE")
    assert refused(post({"records": "Acme"}), 400, "JSON_PARSER_ERROR")
    assert refused(post([account("A list, not an object")]), 400, "JSON_PARSER_ERROR")
    assert refused(post({"records": ["Acme"]}), 400, "JSON_PARSER_ERROR")
    not_json = api.post("/composite/sobjects", content=b"{not json", headers={"Content-Type": "application/json"})
    assert refused(not_json, 400, "JSON_PARSER_ERROR")
    assert not org.objects("Account") and not org.objects("Contact")
    full = insert(api, [account(f"A{i}") for i in range(BATCH_LIMIT)])
    assert all(result["success"] for result in full)


def test_all_or_none_writes_nothing_when_one_record_fails(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api, "Account", "Contact")
    person = insert(api, [contact("Vane", SimCRM_Id__c="con-1")])[0]["id"]
    results = insert(
        api,
        [account("Fine", SimCRM_Id__c="acc-1"), deal("With role", ContactId=person), record("Account")],
        all_or_none=True,
    )
    assert results[:2] == [{"success": False, "errors": [ROLLED_BACK]}] * 2
    assert error(results[2])["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert not org.objects("Account") and not org.objects("Opportunity")
    assert not org.objects("OpportunityContactRole")
    assert org.records_by_external_id("Account") == {}
    again = insert(api, [account("Fine", SimCRM_Id__c="acc-1")], all_or_none=True)[0]  # the value is free again
    assert again["success"], again

    changed = update(
        api,
        [
            record("Contact", Id=person, LastName="Renamed", SimCRM_Id__c="con-2"),
            record("Contact", Id="003000000009999AAA", LastName="Gone"),
        ],
        all_or_none=True,
    )
    assert changed[0] == {"success": False, "errors": [ROLLED_BACK]}
    assert error(changed[1])["statusCode"] == "ENTITY_IS_DELETED"
    held = org.objects("Contact")[person]
    assert (held["LastName"], held["SimCRM_Id__c"]) == ("Vane", "con-1")
    assert org.records_by_external_id("Contact") == {"con-1": [person]}
    assert api.get("/sobjects/Contact/SimCRM_Id__c/con-1").json()["Id"] == person
    assert api.get("/sobjects/Contact/SimCRM_Id__c/con-2").status_code == 404


# --- updates and upserts -------------------------------------------------------------------------


def test_an_update_changes_records_by_id(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api, "Account")
    company, other = (
        result["id"]
        for result in insert(api, [account("Acme", SimCRM_Id__c="a-1"), account("Beta", SimCRM_Id__c="b-1")])
    )
    person = insert(api, [contact("Vane")])[0]["id"]
    opportunity = insert(api, [deal("D", ContactId=person)])[0]["id"]
    task = insert(api, [record("Task", Subject="Call back", TaskSubtype="Call")])[0]["id"]
    before = org.objects("Account")[company]
    results = update(
        api,
        [
            record("Account", Id=company, Website="acme.example", NumberOfEmployees="12"),
            record("Opportunity", Id=opportunity, StageName="Closed Won", Amount=1000),
            record("Task", Id=task, Status="Completed"),
        ],
    )
    assert results == [{"id": id_, "success": True, "errors": []} for id_ in (company, opportunity, task)]
    held = org.objects("Account")[company]
    assert (held["Name"], held["Website"], held["NumberOfEmployees"]) == ("Acme", "acme.example", 12)
    assert held["CreatedDate"] == before["CreatedDate"]
    won = org.objects("Opportunity")[opportunity]
    assert (won["IsClosed"], won["IsWon"]) == (True, True)
    completed = org.objects("Task")[task]["CompletedDateTime"]
    assert recent(completed)
    update(api, [record("Task", Id=task, Subject="Called back", Status="Completed")])
    assert org.objects("Task")[task]["CompletedDateTime"] == completed  # set once

    refusals = update(
        api,
        [
            record("Account", Id="001000000009999AAA", Name="Gone"),
            record("Account", Name="No Id"),
            record("Account", Id=person, Name="A contact's id"),
            record("Account", Id=company, CreatedDate="2025-01-01T00:00:00.000Z"),
            record("Opportunity", Id=opportunity, ContactId=person),
            record("Task", Id=task, TaskSubtype="Email"),
            record("Account", Id=other, SimCRM_Id__c="A-1"),
            record("Account", Id=other, Name=None),
            record("Task", Id=task, Status="Done"),
        ],
    )
    codes = [(error(result)["statusCode"], error(result)["fields"]) for result in refusals]
    assert codes == [
        ("ENTITY_IS_DELETED", []),
        ("MISSING_ARGUMENT", []),
        ("MALFORMED_ID", ["Id"]),
        ("INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"]),
        ("INVALID_FIELD_FOR_INSERT_UPDATE", ["ContactId"]),
        ("INVALID_FIELD_FOR_INSERT_UPDATE", ["TaskSubtype"]),
        ("DUPLICATE_VALUE", []),
        ("REQUIRED_FIELD_MISSING", ["Name"]),
        ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
    ]
    assert error(refusals[0])["message"] == "entity is deleted"
    assert error(refusals[5])["message"] == NOT_WRITABLE.format("TaskSubtype")
    assert org.objects("Account")[other]["SimCRM_Id__c"] == "b-1"
    assert org.objects("Task")[task]["TaskSubtype"] == "Call"


def test_an_upsert_inserts_or_updates_by_external_id_in_order(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api, "Contact")
    first = upsert(api, "Contact", "SimCRM_Id__c", [contact("Vane", SimCRM_Id__c="c-1")])
    assert first.status_code == 200 and first.headers["Sforce-Limit-Info"].startswith("api-usage=")
    person = first.json()[0]["id"]
    assert first.json() == [{"id": person, "success": True, "errors": [], "created": True}]
    second = upsert(
        api,
        "Contact",
        "SimCRM_Id__c",
        [
            contact("New", SimCRM_Id__c="c-2"),
            contact("Vane-Renamed", SimCRM_Id__c="C-1", Title="CTO"),
            contact("Twice", SimCRM_Id__c="c-3"),
            contact("Twice again", SimCRM_Id__c="c-3"),
            contact("No key"),
            contact("Audit", SimCRM_Id__c="c-4", CreatedDate="2025-01-01T00:00:00.000Z"),
        ],
    ).json()
    assert second[0]["created"] is True and second[0]["success"] and second[0]["id"] != person
    assert second[1] == {"id": person, "success": True, "errors": [], "created": False}
    assert [error(result)["statusCode"] for result in second[2:]] == [
        "DUPLICATE_EXTERNAL_ID",
        "DUPLICATE_EXTERNAL_ID",
        "MISSING_ARGUMENT",
        "INVALID_FIELD_FOR_INSERT_UPDATE",  # even with audit fields: only an insert sets CreatedDate
    ]
    assert error(second[5])["message"] == NOT_WRITABLE.format("CreatedDate")
    held = org.objects("Contact")[person]
    assert (held["LastName"], held["Title"], held["SimCRM_Id__c"]) == ("Vane-Renamed", "CTO", "C-1")
    assert org.records_by_external_id("Contact") == {"C-1": [person], "c-2": [second[0]["id"]]}

    not_external = upsert(api, "Contact", "LastName", [contact("Vane")])
    assert refused(not_external, 400, "INVALID_FIELD")
    assert refused(upsert(api, "Contact", "SimCRM_Id__c", [account("A", SimCRM_Id__c="x")]), 400, "INVALID_TYPE")
    assert refused(upsert(api, "Contact", "SimCRM_Id__c", [contact("X", Colour__c="red")]), 400, "INVALID_FIELD")
    assert len(org.objects("Contact")) == 2


def test_records_by_external_id_shows_every_holder_of_a_value(org: SalesforceStandIn, api: httpx.Client) -> None:
    metadata = {"label": "Legacy Id", "type": "Text", "length": 20, "externalId": True, "unique": False}
    assert custom_field(api, "Account.Legacy_Id__c", metadata).status_code == 201
    ids = [result["id"] for result in insert(api, [account("A", Legacy_Id__c="L-1"), account("B", Legacy_Id__c="L-1")])]
    assert org.records_by_external_id("Account", "Legacy_Id__c") == {"L-1": ids}
    several = api.get("/sobjects/Account/Legacy_Id__c/L-1")
    assert several.status_code == 300
    assert several.json() == [f"{DATA}/sobjects/Account/{id_}" for id_ in ids]
    result = upsert(api, "Account", "Legacy_Id__c", [account("C", Legacy_Id__c="L-1")]).json()[0]
    assert error(result)["statusCode"] == "DUPLICATE_EXTERNAL_ID"


# --- reading -------------------------------------------------------------------------------------


def test_soql_selects_by_in_or_equals_with_a_limit(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api, "Contact")
    ids = [
        result["id"]
        for result in insert(
            api,
            [
                contact("Vane", SimCRM_Id__c="con-1", Email="v@example.com"),
                contact("O'Brien", SimCRM_Id__c="it's"),
                contact("Third", SimCRM_Id__c="con-3"),
            ],
        )
    ]

    def query(soql: str) -> httpx.Response:
        return api.get("/query", params={"q": soql})

    found = query("SELECT Id, SimCRM_Id__c FROM Contact WHERE SimCRM_Id__c IN ('CON-1', 'it\\'s', 'none')")
    assert found.status_code == 200
    assert found.json() == {
        "totalSize": 2,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Contact", "url": f"{DATA}/sobjects/Contact/{ids[0]}"},
                "Id": ids[0],
                "SimCRM_Id__c": "con-1",
            },
            {
                "attributes": {"type": "Contact", "url": f"{DATA}/sobjects/Contact/{ids[1]}"},
                "Id": ids[1],
                "SimCRM_Id__c": "it's",
            },
        ],
    }
    lower = query("select id, lastname, title from contact where email = 'V@example.com'").json()["records"]
    assert [(row["Id"], row["LastName"], row["Title"]) for row in lower] == [(ids[0], "Vane", None)]
    assert [row["Id"] for row in query("SELECT Id FROM Contact LIMIT 2").json()["records"]] == ids[:2]
    by_id = query(f"SELECT Name FROM Account WHERE Id IN ('{ids[0]}')").json()  # noqa: S608 - SOQL, ids only
    assert by_id["totalSize"] == 0
    short_id = query(f"SELECT LastName FROM Contact WHERE Id = '{ids[2][:15]}'")  # noqa: S608 - SOQL, an id only
    assert short_id.json()["records"][0]["LastName"] == "Third"
    assert query("SELECT Id FROM Contact WHERE SimCRM_Id__c IN ('con-3') LIMIT 5").json()["totalSize"] == 1
    for malformed in (
        "DELETE FROM Contact",
        "SELECT FROM Contact",
        "SELECT Id FROM Contact WHERE SimCRM_Id__c IN (con-1)",
        "SELECT Id FROM Contact WHERE SimCRM_Id__c LIKE 'con%'",
        "SELECT Id FROM Contact WHERE SimCRM_Id__c = 'unterminated",
        "SELECT Id FROM Contact ORDER BY Id",
        "SELECT Id FROM Contact LIMIT many",
        "",
    ):
        assert refused(query(malformed), 400, "MALFORMED_QUERY")
    assert "Colour__c" in refused(query("SELECT Id, Colour__c FROM Contact"), 400, "INVALID_FIELD")
    assert refused(query("SELECT Id FROM Contact WHERE Colour__c = 'red'"), 400, "INVALID_FIELD")
    assert refused(query("SELECT Id FROM Lead"), 400, "INVALID_TYPE")


def test_soql_answers_at_most_2000_records(org: SalesforceStandIn, api: httpx.Client) -> None:
    for batch in range(11):
        insert(api, [account(f"A{batch}-{i}") for i in range(BATCH_LIMIT)])
    assert len(org.objects("Account")) == 2200
    answer = api.get("/query", params={"q": "SELECT Id, Name FROM Account"}).json()
    assert (answer["totalSize"], answer["done"], len(answer["records"])) == (2000, True, 2000)
    assert "nextRecordsUrl" not in answer
    limited = api.get("/query", params={"q": "SELECT Id FROM Account WHERE Name IN ('A3-7', 'A10-199') LIMIT 1"})
    assert limited.json()["totalSize"] == 1


def test_a_record_is_read_by_external_id(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api, "Account")
    company = insert(api, [account("Acme / Co", SimCRM_Id__c="a b/1", Website="acme.example")])[0]["id"]
    found = api.get("/sobjects/Account/SimCRM_Id__c/a%20b%2F1")
    assert found.status_code == 200
    body = found.json()
    assert body["attributes"] == {"type": "Account", "url": f"{DATA}/sobjects/Account/{company}"}
    assert (body["Id"], body["Name"], body["Website"], body["Phone"]) == (company, "Acme / Co", "acme.example", None)
    assert set(STANDARD_FIELDS["Account"]) | {"SimCRM_Id__c", "attributes"} == set(body)
    assert api.get(f"/sobjects/Account/{company}").json()["Name"] == "Acme / Co"
    for missing in ("/sobjects/Account/SimCRM_Id__c/nope", "/sobjects/Account/Name/Acme", "/sobjects/Lead/Id/x"):
        assert refused(api.get(missing), 404, "NOT_FOUND")
    assert api.get("/sobjects/Account/SimCRM_Id__c/nope").json() == NOT_FOUND


def test_the_state_says_what_the_org_holds(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_ids(api, "Account")
    person = insert(api, [contact("Vane")])[0]["id"]
    insert(api, [account("A"), account("B"), deal("D", ContactId=person)])
    state = httpx.get(f"{org.base_url}/_standin/state").json()  # no token
    assert state == {
        "orgId": ORG_ID,
        "objects": {
            "Account": 2,
            "Contact": 1,
            "Opportunity": 1,
            "OpportunityContactRole": 1,
            "Task": 0,
            "Event": 0,
        },
        "customFields": {
            "Account": ["SimCRM_Id__c"],
            "Contact": [],
            "Opportunity": [],
            "OpportunityContactRole": [],
            "Task": [],
            "Event": [],
        },
        "requests": 4,  # the token and three data requests; reading the state is not one
        "dailyUsed": 3,
        "dailyLimit": 15_000,
        "maxInFlight": 1,
    }
    assert httpx.get(f"{org.base_url}/_standin/objects/Contact").json()[0]["LastName"] == "Vane"
    assert httpx.get(f"{org.base_url}/{person}").json()["LastName"] == "Vane"


def test_an_unknown_route_is_not_found(org: SalesforceStandIn, api: httpx.Client) -> None:
    outside = httpx.get(f"{org.base_url}/services/apexrest/anything")
    assert (outside.status_code, outside.json()) == (404, NOT_FOUND)
    assert "Sforce-Limit-Info" not in outside.headers
    inside = api.get("/widgets/1")
    assert (inside.status_code, inside.json()) == (404, NOT_FOUND)
    assert inside.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert api.delete("/composite/sobjects").status_code == 404
    assert httpx.get(f"{org.base_url}/services/oauth2/token").status_code == 404
    other_version = httpx.get(f"{org.base_url}/services/data/v58.0/limits", headers=api.headers)
    assert other_version.status_code == 200
    assert httpx.get(f"{org.base_url}/services/data/v62/limits", headers=api.headers).status_code == 404


def test_ids_carry_their_sobjects_key_prefix_and_are_unique(org: SalesforceStandIn, api: httpx.Client) -> None:
    person = insert(api, [contact("Vane")])[0]["id"]
    ids = {
        "Account": insert(api, [account("A")])[0]["id"],
        "Contact": person,
        "Opportunity": insert(api, [deal("D", ContactId=person)])[0]["id"],
        "OpportunityContactRole": next(iter(org.objects("OpportunityContactRole"))),
        "Task": insert(api, [record("Task", Subject="T")])[0]["id"],
        "Event": insert(api, [record("Event", StartDateTime="2026-01-02T03:04:05Z", DurationInMinutes=1)])[0]["id"],
        "CustomField": custom_field(api, "Account.SimCRM_Id__c").json()["id"],
    }
    prefixes = {"Account": "001", "Contact": "003", "Opportunity": "006", "OpportunityContactRole": "00K"}
    prefixes |= {"Task": "00T", "Event": "00U", "CustomField": "00N"}
    assert {name: id_[:3] for name, id_ in ids.items()} == prefixes
    assert all(len(id_) == 18 and id_.isalnum() for id_ in ids.values())
    assert len(set(ids.values())) == len(ids)
    many = [result["id"] for result in insert(api, [account(f"A{i}") for i in range(50)])]
    assert len(set(many) | set(ids.values())) == 50 + len(ids)


# --- knobs and read-back -------------------------------------------------------------------------


def test_fail_next_answers_the_next_data_requests_with_an_error(org: SalesforceStandIn, api: httpx.Client) -> None:
    org.fail_next(2)
    assert token(org).status_code == 200  # a token request is not a data request
    for used in (1, 2):
        failed = api.get("/limits")
        assert failed.status_code == 503
        assert failed.json()[0]["errorCode"] == "SERVER_UNAVAILABLE" and failed.json()[0]["message"]
        assert failed.headers["Sforce-Limit-Info"] == f"api-usage={used}/15000"
    assert api.get("/limits").status_code == 200
    org.fail_next(1, status=500)
    assert refused(api.post("/composite/sobjects", json={"records": [account("A")]}), 500, "SERVER_UNAVAILABLE")
    assert not org.objects("Account")
    assert org.daily_used == 4


def test_a_lost_answer_is_applied_then_the_connection_closes(org: SalesforceStandIn, api: httpx.Client) -> None:
    org.lose_next_answers(1, path=r"/composite/sobjects$")
    assert api.get("/limits").status_code == 200  # not a write
    assert api.post("/tooling/sobjects/CustomField", json={"FullName": "Account.SimCRM_Id__c", "Metadata": EXTERNAL_ID})
    with pytest.raises(httpx.TransportError):
        api.post("/composite/sobjects", json={"records": [account("Lost")]})
    assert [fields["Name"] for fields in org.objects("Account").values()] == ["Lost"]
    lost = org.requests[-1]
    assert (lost.method, lost.path, lost.records, lost.answered) == ("POST", f"{DATA}/composite/sobjects", 1, False)
    assert insert(api, [account("Heard")])[0]["success"]
    assert org.requests[-1].answered is True


def test_requests_are_recorded_with_their_status_and_records(org: SalesforceStandIn, api: httpx.Client) -> None:
    insert(api, [account("A"), account("B"), record("Account")])
    api.get("/query", params={"q": "SELECT Id FROM Account"})
    recorded = [(r.method, r.path, r.status, r.records, r.counted) for r in org.requests]
    assert recorded == [
        ("POST", "/services/oauth2/token", 200, 0, False),
        ("POST", f"{DATA}/composite/sobjects", 200, 3, True),
        ("GET", f"{DATA}/query", 200, 0, True),
    ]
    assert org.requests[0].time <= org.requests[-1].time


def test_latency_is_jittered_and_concurrent_requests_are_counted_in_flight(clock: Clock) -> None:
    with SalesforceStandIn(latency_ms=400, clock=clock) as org, client(org) as api:
        took: list[float] = []
        errors: list[BaseException] = []

        def call() -> None:
            started = time.monotonic()
            try:
                assert api.get("/limits").status_code == 200
            except BaseException as raised:  # noqa: BLE001 - reported by the test below
                errors.append(raised)
            took.append(time.monotonic() - started)

        assert org.max_in_flight == 0  # the token request is not a data request
        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert not errors and len(took) == 4
        assert org.max_in_flight == 4 and org.in_flight == 0
        assert httpx.get(f"{org.base_url}/_standin/state").json()["maxInFlight"] == 4
        assert all(0.4 * 0.75 <= seconds < 0.4 * 1.25 + 0.2 for seconds in took), took
        delays = [org.answer_delay() for _ in range(50)]
        assert all(0.3 <= delay <= 0.5 for delay in delays) and max(delays) - min(delays) > 0.02


# --- the command ---------------------------------------------------------------------------------


def _lines(stream: IO[str]) -> "queue.Queue[str]":
    """The stream's lines as they come, read on a thread so a test can wait for them with a deadline."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _banner(lines: "queue.Queue[str]", *, until: str, within: float = 30) -> list[str]:
    deadline = time.monotonic() + within
    read: list[str] = []
    while not any(line.startswith(until) for line in read):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {until!r} line within {within} s: {read}"
        try:
            read.append(lines.get(timeout=remaining))
        except queue.Empty:
            continue
    return read


@pytest.mark.slow
def test_the_command_serves_with_its_options_and_prints_how_to_connect() -> None:
    process = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "salesforce_standin", "--port", "0", "--daily-limit", "7"),
            *("--client-id", "3MVG9mine", "--client-secret", "my-secret", "--token-seconds", "30"),
            *("--latency-ms", "50", "--no-audit-fields", "--no-field-creation"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = _banner(_lines(process.stdout), until="Ctrl+C")
        base_url = banner[0].strip()
        assert base_url.startswith("http://127.0.0.1:") and not base_url.endswith(":0")
        connect = next(line for line in banner if line.startswith("Connect SimCRM with: POST /api/connections/ "))
        assert json.loads(connect.split("/api/connections/ ", 1)[1]) == {
            "name": "Local Salesforce stand-in",
            "kind": "salesforce",
            "instance_url": base_url,
            "client_id": "3MVG9mine",
            "client_secret": "my-secret",
        }
        assert f"What it holds: GET {base_url}/_standin/state\n" in banner
        state = httpx.get(f"{base_url}/_standin/state").json()
        assert (state["dailyLimit"], state["orgId"]) == (7, ORG_ID)
        form = {"grant_type": "client_credentials", "client_id": "3MVG9mine", "client_secret": "my-secret"}
        issued = httpx.post(f"{base_url}/services/oauth2/token", data=form)
        assert issued.status_code == 200
        default = {**form, "client_id": STANDIN_CLIENT_ID, "client_secret": STANDIN_CLIENT_SECRET}
        assert httpx.post(f"{base_url}/services/oauth2/token", data=default).status_code == 400
        headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        with httpx.Client(base_url=f"{base_url}{DATA}", headers=headers) as api:
            started = time.monotonic()
            assert describe(api, "Account")["CreatedDate"]["createable"] is False
            assert time.monotonic() - started >= 0.05 * 0.75
            assert refused(custom_field(api, "Account.SimCRM_Id__c"), 403, "INSUFFICIENT_ACCESS")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


@pytest.mark.slow
def test_the_module_runs_on_its_own_without_django() -> None:
    probe = "import sys, standins.salesforce; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    imported = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "[]"
    process = subprocess.Popen(
        [sys.executable, "-m", "standins.salesforce", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = _banner(_lines(process.stdout), until="Ctrl+C")[0].strip()
        assert httpx.get(f"{base_url}/_standin/state").json()["dailyLimit"] == 15_000
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
