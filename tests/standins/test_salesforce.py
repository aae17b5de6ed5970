"""The Salesforce stand-in, over real HTTP: its OAuth token endpoint, sessions that expire, the daily allocation
and its header, sObject Collections with per-record errors, SOQL lookups, the Tooling API, and the command."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from standins.salesforce import STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, SalesforceStandIn

ROOT = Path(__file__).resolve().parents[2]
DATA = "/services/data/v62.0"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org(clock: Clock) -> Iterator[SalesforceStandIn]:
    with SalesforceStandIn(daily_limit=50, token_seconds=60, clock=clock) as standin:
        yield standin


def token(org: SalesforceStandIn, secret: str = STANDIN_CLIENT_SECRET) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": STANDIN_CLIENT_ID, "client_secret": secret}
    return httpx.post(f"{org.base_url}/services/oauth2/token", data=form)


@pytest.fixture
def api(org: SalesforceStandIn) -> Iterator[httpx.Client]:
    access = token(org).json()["access_token"]
    with httpx.Client(base_url=f"{org.base_url}{DATA}", headers={"Authorization": f"Bearer {access}"}) as client:
        yield client


def insert(api: httpx.Client, records: list[dict[str, Any]], *, all_or_none: bool = False) -> list[dict[str, Any]]:
    answer = api.post("/composite/sobjects", json={"allOrNone": all_or_none, "records": records})
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()
    return results


def account(name: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, "Name": name, **fields}


def with_external_id(api: httpx.Client) -> None:
    for sobject in ("Account", "Contact"):
        metadata = {"label": "SimCRM Id", "type": "Text", "length": 100, "externalId": True, "unique": True}
        created = api.post(
            "/tooling/sobjects/CustomField", json={"FullName": f"{sobject}.SimCRM_Id__c", "Metadata": metadata}
        )
        assert created.status_code == 201, created.text


def test_a_token_comes_for_the_right_client_credentials_only(org: SalesforceStandIn) -> None:
    issued = token(org)
    assert issued.status_code == 200
    assert set(issued.json()) >= {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"}
    assert issued.json()["instance_url"] == org.base_url
    refused = token(org, secret="wrong")
    assert refused.status_code == 400 and refused.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    assert org.daily_used == 0  # token requests are not API requests


def test_a_session_expires_and_a_new_token_works(org: SalesforceStandIn, clock: Clock, api: httpx.Client) -> None:
    assert api.get("/limits").status_code == 200
    clock.now += 61
    expired = api.get("/limits")
    assert expired.status_code == 401
    assert expired.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    fresh = token(org).json()["access_token"]
    assert api.get("/limits", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    org.expire_tokens()
    assert api.get("/limits", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401


def test_every_request_counts_against_the_daily_allocation_and_its_header(
    org: SalesforceStandIn, api: httpx.Client
) -> None:
    first = api.get("/limits")
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/50"
    assert first.json()["DailyApiRequests"] == {"Max": 50, "Remaining": 49}
    org.exhaust_daily()
    refused = api.get("/limits")
    assert refused.status_code == 403
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    org.reset_daily()
    assert api.get("/limits").headers["Sforce-Limit-Info"] == "api-usage=1/50"


def test_collections_answer_each_record_in_order_with_its_own_error(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_id(api)
    results = insert(
        api,
        [
            account("Acme", SimCRM_Id__c="a-1"),
            {"attributes": {"type": "Account"}, "Website": "no-name.example"},
            account("Acme again", SimCRM_Id__c="A-1"),
            {"attributes": {"type": "Opportunity"}, "Name": "Deal", "StageName": "Won-ish", "CloseDate": "2026-01-01"},
        ],
    )
    assert results[0]["success"] and results[0]["id"].startswith("001")
    assert results[1]["errors"] == [
        {"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]", "fields": ["Name"]}
    ]
    assert results[2]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert results[2]["errors"][0]["message"] == (
        f"duplicate value found: SimCRM_Id__c duplicates value on record with id: {results[0]['id']}"
    )
    assert results[3]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert len(org.objects("Account")) == 1 and org.duplicates_refused == 1
    unknown = api.post("/composite/sobjects", json={"records": [account("X", Colour__c="red")]})
    assert unknown.status_code == 400 and unknown.json()[0]["errorCode"] == "INVALID_FIELD"


def test_all_or_none_writes_nothing_when_one_record_fails(org: SalesforceStandIn, api: httpx.Client) -> None:
    results = insert(api, [account("Fine"), {"attributes": {"type": "Account"}}], all_or_none=True)
    assert [result["success"] for result in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert not org.objects("Account")


def test_created_date_is_set_on_insert_only_and_only_with_audit_fields(clock: Clock) -> None:
    past = "2025-03-04T05:06:07.000Z"
    for audit in (True, False):
        with SalesforceStandIn(audit_fields=audit, clock=clock) as org:
            access = token(org).json()["access_token"]
            with httpx.Client(base_url=f"{org.base_url}{DATA}", headers={"Authorization": f"Bearer {access}"}) as api:
                with_external_id(api)
                described = {f["name"]: f for f in api.get("/sobjects/Account/describe").json()["fields"]}
                assert described["CreatedDate"]["createable"] is audit
                assert described["SimCRM_Id__c"]["externalId"] is True
                inserted = insert(api, [account("Old", CreatedDate=past, SimCRM_Id__c="old-1")])[0]
                assert inserted["success"] is audit
                upsert = api.patch(
                    "/composite/sobjects/Account/SimCRM_Id__c",
                    json={"records": [account("Older", CreatedDate=past, SimCRM_Id__c="old-2")]},
                ).json()[0]
                assert upsert["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
                if audit:
                    assert org.objects("Account")[inserted["id"]]["CreatedDate"] == past
                    update = api.patch(
                        "/composite/sobjects",
                        json={
                            "records": [{"attributes": {"type": "Account"}, "Id": inserted["id"], "CreatedDate": past}]
                        },
                    ).json()[0]
                    assert update["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_lookups_by_id_or_external_id_soql_and_the_contact_role(org: SalesforceStandIn, api: httpx.Client) -> None:
    with_external_id(api)
    account_id = insert(api, [account("Acme", SimCRM_Id__c="acc-1")])[0]["id"]
    contact = {"attributes": {"type": "Contact"}, "LastName": "Vane", "SimCRM_Id__c": "con-1"}
    by_external = insert(api, [{**contact, "Account": {"SimCRM_Id__c": "acc-1"}}])[0]
    assert org.objects("Contact")[by_external["id"]]["AccountId"] == account_id
    missing = insert(api, [{**contact, "SimCRM_Id__c": "con-2", "AccountId": "001000000009999AAA"}])[0]
    assert missing["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    deal = {"attributes": {"type": "Opportunity"}, "Name": "D", "StageName": "Closed Won", "CloseDate": "2026-02-03"}
    deal_id = insert(api, [{**deal, "AccountId": account_id, "ContactId": by_external["id"]}])[0]["id"]
    roles = list(org.objects("OpportunityContactRole").values())
    assert [(r["OpportunityId"], r["ContactId"], r["IsPrimary"]) for r in roles] == [(deal_id, by_external["id"], True)]
    assert org.objects("Opportunity")[deal_id]["IsWon"] is True
    found = api.get(
        "/query", params={"q": "SELECT Id, SimCRM_Id__c FROM Contact WHERE SimCRM_Id__c IN ('con-1', 'x\\'y')"}
    )
    assert [row["Id"] for row in found.json()["records"]] == [by_external["id"]]
    assert api.get("/query", params={"q": "DELETE FROM Contact"}).json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert api.get("/sobjects/Contact/SimCRM_Id__c/con-1").json()["Id"] == by_external["id"]
    # A record's page, as SimCRM's client links it (`<instance>/<id>`).
    assert httpx.get(f"{org.base_url}/{by_external['id']}").json()["LastName"] == "Vane"


def test_a_lost_answer_is_applied_and_field_creation_can_be_refused(clock: Clock) -> None:
    with SalesforceStandIn(field_creation=False, clock=clock) as org:
        access = token(org).json()["access_token"]
        with httpx.Client(base_url=f"{org.base_url}{DATA}", headers={"Authorization": f"Bearer {access}"}) as api:
            metadata = {"label": "SimCRM Id", "type": "Text", "length": 100, "externalId": True, "unique": True}
            refused = api.post(
                "/tooling/sobjects/CustomField", json={"FullName": "Account.SimCRM_Id__c", "Metadata": metadata}
            )
            assert refused.status_code == 403 and refused.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS"
            org.lose_next_answers(1, path="/composite/sobjects$")
            with pytest.raises(httpx.HTTPError):
                api.post("/composite/sobjects", json={"records": [account("Lost")]})
            assert [fields["Name"] for fields in org.objects("Account").values()] == ["Lost"]


def test_the_command_prints_its_address_and_connection_first() -> None:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "salesforce_standin", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        lines = [process.stdout.readline() for _ in range(5)]
        assert base_url.startswith("http://127.0.0.1:")
        assert any('"kind": "salesforce"' in line and STANDIN_CLIENT_SECRET in line for line in lines)
        assert httpx.get(f"{base_url}/_standin/state").json()["dailyLimit"] == 15_000
        assert httpx.get(f"{base_url}/_standin/objects/Contact").json() == []
    finally:
        process.terminate()
        process.wait(timeout=10)
