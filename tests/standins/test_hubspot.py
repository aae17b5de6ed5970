"""The HubSpot stand-in, over real HTTP: HubSpot's paths, bodies, limits and errors."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from standins.hubspot import OBJECT_TYPES, STANDIN_TOKEN, HubSpotStandIn

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {STANDIN_TOKEN}"}


class Clock:
    """A hand-moved clock, so the 10 s window is tested without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hubspot() -> Iterator[HubSpotStandIn]:
    with HubSpotStandIn() as standin:
        yield standin


@pytest.fixture
def api(hubspot: HubSpotStandIn) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hubspot.base_url, headers=AUTH, timeout=5) as client:
        yield client


def _upsert(api: httpx.Client, object_type: str, inputs: list[dict[str, Any]]) -> httpx.Response:
    return api.post(f"/crm/v3/objects/{object_type}/batch/upsert", json={"inputs": inputs})


def _contact(email: str, **properties: str) -> dict[str, Any]:
    return {"idProperty": "email", "id": email, "properties": properties}


def _unique_property(api: httpx.Client, object_type: str, name: str = "simcrm_id") -> httpx.Response:
    return api.post(
        f"/crm/v3/properties/{object_type}",
        json={
            "name": name,
            "label": "SimCRM id",
            "type": "string",
            "fieldType": "text",
            "groupName": f"{object_type[:-1]}information",
            "hasUniqueValue": True,
        },
    )


def test_unknown_or_missing_token_is_401_and_not_counted(hubspot: HubSpotStandIn) -> None:
    url = f"{hubspot.base_url}/account-info/v3/details"
    for headers in ({}, {"Authorization": "Bearer pat-wrong-token-9999"}):
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 401
        body = answer.json()
        assert body["category"] == "INVALID_AUTHENTICATION"
        assert body["status"] == "error"
        assert body["message"].startswith("Authentication credentials not found.")
        assert body["correlationId"]
        assert "X-HubSpot-RateLimit-Max" not in answer.headers
    assert hubspot.daily_used == 0
    assert hubspot.max_in_window() == 0
    assert [record.token_last4 for record in hubspot.requests] == ["", "9999"]

    answer = httpx.get(url, headers=AUTH)
    assert answer.status_code == 200
    assert answer.json() == {
        "portalId": 12345678,
        "accountType": "DEVELOPER_TEST",
        "timeZone": "UTC",
        "companyCurrency": "USD",
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    }
    assert answer.headers["X-HubSpot-RateLimit-Max"] == "100"
    assert answer.headers["X-HubSpot-RateLimit-Remaining"] == "99"
    assert answer.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert answer.headers["X-HubSpot-RateLimit-Daily"] == "250000"
    assert answer.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "249999"
    assert hubspot.requests[-1].token_last4 == STANDIN_TOKEN[-4:]

    hubspot.tokens.add("pat-rotated-token-1111")  # tokens can change at run time
    assert httpx.get(url, headers={"Authorization": "Bearer pat-rotated-token-1111"}).status_code == 200


def test_upsert_creates_then_updates(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    answer = _upsert(api, "contacts", [_contact("Ada@Example.com", firstname="Ada"), _contact("bo@example.com")])
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "COMPLETE" and body["startedAt"] and body["completedAt"]
    created = {result["properties"]["email"]: result for result in body["results"]}
    assert set(created) == {"ada@example.com", "bo@example.com"}
    ada = created["ada@example.com"]
    assert ada["new"] is True and ada["archived"] is False
    assert ada["id"].isdigit() and ada["properties"]["hs_object_id"] == ada["id"]
    assert ada["createdAt"] and ada["updatedAt"]

    answer = _upsert(api, "contacts", [_contact("ada@example.COM", lastname="Lovelace")])
    (result,) = answer.json()["results"]
    assert result["new"] is False and result["id"] == ada["id"]
    assert hubspot.objects("contacts")[ada["id"]] == {
        "email": "ada@example.com",
        "firstname": "Ada",
        "lastname": "Lovelace",
    }
    assert len(hubspot.objects("contacts")) == 2


def test_upsert_results_come_back_shuffled(api: httpx.Client) -> None:
    emails = [f"person{index}@example.com" for index in range(30)]
    answer = _upsert(api, "contacts", [_contact(email, firstname=f"P{index}") for index, email in enumerate(emails)])
    results = answer.json()["results"]
    assert [result["properties"]["email"] for result in results] != emails
    by_email = {result["properties"]["email"]: result for result in results}
    assert sorted(by_email) == sorted(emails)
    assert all(by_email[email]["properties"]["firstname"] == f"P{index}" for index, email in enumerate(emails))


def test_batch_limits_and_duplicate_ids(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    too_many = [_contact(f"c{index}@example.com") for index in range(101)]
    answer = _upsert(api, "contacts", too_many)
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"
    assert "Batch size of 101 exceeds limit of 100" in answer.json()["message"]
    assert hubspot.objects("contacts") == {}
    assert _upsert(api, "contacts", too_many[:100]).status_code == 200

    answer = _upsert(api, "contacts", [_contact("same@example.com"), _contact("SAME@example.com")])
    assert answer.status_code == 400
    assert "Duplicate IDs found in batch input" in answer.json()["message"]

    inputs = [{"from": {"id": "1"}, "to": {"id": "2"}}] * 101
    answer = api.post("/crm/v4/associations/contacts/companies/batch/associate/default", json={"inputs": inputs})
    assert answer.status_code == 400


def test_properties_and_unique_rules(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    company = {"idProperty": "simcrm_id", "id": "inst:company:1", "properties": {"name": "Acme"}}
    answer = _upsert(api, "companies", [company])
    assert answer.status_code == 400 and answer.json()["category"] == "VALIDATION_ERROR"

    answer = api.get("/crm/v3/properties/companies/simcrm_id")
    assert answer.status_code == 404
    assert answer.json()["message"] == "Unable to find property simcrm_id for object type companies"
    assert answer.json()["category"] == "OBJECT_NOT_FOUND"
    assert _unique_property(api, "companies").status_code == 201
    answer = _unique_property(api, "companies")
    assert answer.status_code == 409
    assert answer.json()["message"] == "Property named 'simcrm_id' already exists."
    assert answer.json()["category"] == "OBJECT_ALREADY_EXISTS"
    assert api.get("/crm/v3/properties/companies/simcrm_id").json()["hasUniqueValue"] is True
    assert hubspot.properties_created("companies")["simcrm_id"]["hasUniqueValue"] is True

    (result,) = _upsert(api, "companies", [company]).json()["results"]
    assert result["new"] is True and result["properties"]["simcrm_id"] == "inst:company:1"
    (again,) = _upsert(api, "companies", [company]).json()["results"]
    assert again["id"] == result["id"] and again["new"] is False

    # Only email or a property with unique values identifies a record.
    answer = _upsert(api, "companies", [{"idProperty": "name", "id": "Acme", "properties": {}}])
    assert answer.status_code == 400

    # Unique values stay unique, across the portal and within one batch.
    assert _unique_property(api, "contacts").status_code == 201
    assert _upsert(api, "contacts", [_contact("a@example.com", simcrm_id="i:contact:1")]).status_code == 200
    answer = _upsert(api, "contacts", [_contact("b@example.com", simcrm_id="i:contact:1")])
    assert answer.status_code == 400 and "simcrm_id" in answer.json()["message"]
    answer = _upsert(
        api, "contacts", [{"idProperty": "simcrm_id", "id": "i:contact:2", "properties": {"email": "A@example.com"}}]
    )
    assert answer.status_code == 400 and "email" in answer.json()["message"]
    answer = _upsert(
        api,
        "contacts",
        [_contact("c@example.com", simcrm_id="i:contact:3"), _contact("d@example.com", simcrm_id="i:contact:3")],
    )
    assert answer.status_code == 400
    assert len(hubspot.objects("contacts")) == 1

    answer = api.post("/crm/v3/objects/contacts", json={"properties": {"email": "a@example.com"}})
    assert answer.status_code == 409
    existing = next(iter(hubspot.objects("contacts")))
    assert answer.json()["message"] == f"Contact already exists. Existing ID: {existing}"
    assert answer.json()["category"] == "CONFLICT"
    answer = api.post("/crm/v3/objects/contacts", json={"properties": {"email": "new@example.com"}})
    assert answer.status_code == 201 and answer.json()["properties"]["email"] == "new@example.com"


def test_a_unique_value_given_up_by_one_record_can_be_taken_by_another(api: httpx.Client) -> None:
    assert _unique_property(api, "contacts").status_code == 201
    (first,) = _upsert(api, "contacts", [_contact("a@example.com", simcrm_id="i:contact:1")]).json()["results"]
    (moved,) = _upsert(api, "contacts", [_contact("a@example.com", simcrm_id="i:contact:9")]).json()["results"]
    (second,) = _upsert(api, "contacts", [_contact("b@example.com", simcrm_id="i:contact:1")]).json()["results"]
    taken = _upsert(api, "contacts", [_contact("c@example.com", simcrm_id="i:contact:9")])

    assert moved["id"] == first["id"] and moved["new"] is False
    assert second["new"] is True and second["id"] != first["id"]
    assert taken.status_code == 400 and "simcrm_id" in taken.json()["message"]
    by_new_value = {"idProperty": "simcrm_id", "id": "i:contact:9", "properties": {"firstname": "Ada"}}
    (found,) = _upsert(api, "contacts", [by_new_value]).json()["results"]
    assert found["id"] == first["id"]


def test_lifecycle_stage_only_moves_forward(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    assert _upsert(api, "contacts", [_contact("a@example.com", lifecyclestage="lead")]).status_code == 200
    assert _upsert(api, "contacts", [_contact("a@example.com", lifecyclestage="opportunity")]).status_code == 200
    answer = _upsert(
        api,
        "contacts",
        [_contact("b@example.com", lifecyclestage="lead"), _contact("a@example.com", lifecyclestage="lead")],
    )
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"
    assert "lifecyclestage" in answer.json()["message"] and "opportunity" in answer.json()["message"]
    assert [props["lifecyclestage"] for props in hubspot.objects("contacts").values()] == ["opportunity"]
    assert _upsert(api, "contacts", [_contact("a@example.com", lifecyclestage="bogus")]).status_code == 400
    assert _upsert(api, "contacts", [_contact("a@example.com", lifecyclestage="customer")]).status_code == 200


def test_deal_pipeline_and_stage_are_validated(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    assert _unique_property(api, "deals").status_code == 201

    def deal(**properties: str) -> dict[str, Any]:
        return {"idProperty": "simcrm_id", "id": "i:deal:1", "properties": {"dealname": "Big", **properties}}

    assert _upsert(api, "deals", [deal(pipeline="sales", dealstage="closedwon")]).status_code == 400
    assert _upsert(api, "deals", [deal(dealstage="won")]).status_code == 400
    assert _upsert(api, "deals", [deal()]).status_code == 400  # a new deal needs a stage
    assert hubspot.objects("deals") == {}
    assert _upsert(api, "deals", [deal(dealstage="appointmentscheduled")]).status_code == 200
    assert _upsert(api, "deals", [deal(pipeline="default", dealstage="closedwon")]).status_code == 200
    (props,) = hubspot.objects("deals").values()
    assert props["pipeline"] == "default" and props["dealstage"] == "closedwon"


def _refused(answer: httpx.Response) -> list[dict[str, Any]]:
    """The property errors of a 400 VALIDATION_ERROR, from the JSON list that ends its message."""
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR" and body["correlationId"]
    prefix = "Property values were not valid: "
    assert body["message"].startswith(prefix)
    errors: list[dict[str, Any]] = json.loads(body["message"][len(prefix) :])
    return errors


def test_read_only_unknown_and_malformed_properties_are_refused_naming_them(
    hubspot: HubSpotStandIn, api: httpx.Client
) -> None:
    errors = _refused(
        _upsert(api, "contacts", [_contact("a@example.com", hs_lifecyclestage_lead_date="1700000000000")])
    )
    assert errors == [
        {
            "isValid": False,
            "message": "hs_lifecyclestage_lead_date is a read only property; its value cannot be set.",
            "error": "READ_ONLY_VALUE",
            "name": "hs_lifecyclestage_lead_date",
            "localizedErrorMessage": "hs_lifecyclestage_lead_date is a read only property; its value cannot be set.",
            "portalId": hubspot.portal_id,
        }
    ]
    errors = _refused(_upsert(api, "contacts", [_contact("a@example.com", favourite_colour="teal", firstname="Ada")]))
    assert [(e["name"], e["error"], e["message"]) for e in errors] == [
        ("favourite_colour", "PROPERTY_DOESNT_EXIST", 'Property "favourite_colour" does not exist')
    ]
    errors = _refused(_upsert(api, "contacts", [_contact("a@example.com", createdate="last tuesday")]))
    assert [(e["name"], e["error"], e["message"]) for e in errors] == [
        ("createdate", "INVALID_LONG", "last tuesday was not a valid long.")
    ]
    # Every property of the input is named, and nothing of the batch is written.
    assert _unique_property(api, "deals").status_code == 201
    deal = {
        "idProperty": "simcrm_id",
        "id": "i:deal:1",
        "properties": {"dealstage": "closedwon", "hs_date_entered_closedwon": "2024-01-01", "hs_object_id": "7"},
    }
    names = {(e["name"], e["error"]) for e in _refused(_upsert(api, "deals", [deal]))}
    assert names == {("hs_date_entered_closedwon", "READ_ONLY_VALUE"), ("hs_object_id", "READ_ONLY_VALUE")}
    for name in ("hs_v2_date_entered_customer", "lastmodifieddate", "hs_object_id"):
        (error,) = _refused(api.post("/crm/v3/objects/contacts", json={"properties": {name: "1700000000000"}}))
        assert (error["name"], error["error"]) == (name, "READ_ONLY_VALUE")
    assert hubspot.objects("contacts") == {} and hubspot.objects("deals") == {}

    # What HubSpot says of its own properties.
    lead_date = api.get("/crm/v3/properties/contacts/hs_lifecyclestage_lead_date").json()
    assert lead_date["type"] == "datetime" and lead_date["modificationMetadata"]["readOnlyValue"] is True
    createdate = api.get("/crm/v3/properties/deals/createdate").json()
    assert createdate["modificationMetadata"]["readOnlyValue"] is False


def test_a_written_createdate_is_the_records_creation_date_in_either_format(api: httpx.Client) -> None:
    written = [
        _contact("iso@example.com", createdate="2025-03-04T05:06:07.891+01:00"),
        _contact("millis@example.com", createdate="1741061167891"),
        _contact("plain@example.com"),
    ]
    results = {result["properties"]["email"]: result for result in _upsert(api, "contacts", written).json()["results"]}
    for email in ("iso@example.com", "millis@example.com"):
        assert results[email]["properties"]["createdate"] == "2025-03-04T04:06:07.891Z"
        assert results[email]["createdAt"] == "2025-03-04T04:06:07.891Z"
    plain = results["plain@example.com"]
    assert plain["properties"]["createdate"] == plain["createdAt"] > "2025"
    fetched = api.get(f"/crm/v3/objects/contacts/{results['iso@example.com']['id']}").json()
    assert fetched["properties"]["createdate"] == "2025-03-04T04:06:07.891Z"
    assert fetched["properties"]["lastmodifieddate"] == fetched["updatedAt"]
    company = api.post("/crm/v3/objects/companies", json={"properties": {"name": "Acme", "createdate": "2024-12-31"}})
    assert company.status_code == 201
    assert company.json()["properties"]["createdate"] == "2024-12-31T00:00:00.000Z"
    assert "hs_lastmodifieddate" in company.json()["properties"]


def test_custom_datetime_properties_are_created_in_batches_and_their_values_checked(
    hubspot: HubSpotStandIn, api: httpx.Client
) -> None:
    def definition(name: str) -> dict[str, str]:
        return {"name": name, "label": name, "type": "datetime", "fieldType": "date", "groupName": "dealinformation"}

    read = api.post("/crm/v3/properties/deals/batch/read", json={"inputs": [{"name": "simcrm_closedwon_at"}]})
    assert read.status_code == 207 and read.json()["results"] == []
    assert read.json()["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert read.json()["errors"][0]["context"] == {"name": ["simcrm_closedwon_at"]}
    created = api.post("/crm/v3/properties/deals/batch/create", json={"inputs": [definition("simcrm_closedwon_at")]})
    assert created.status_code == 201
    assert [prop["name"] for prop in created.json()["results"]] == ["simcrm_closedwon_at"]
    again = api.post(
        "/crm/v3/properties/deals/batch/create",
        json={"inputs": [definition("simcrm_closedwon_at"), definition("simcrm_closedlost_at")]},
    )
    assert again.status_code == 207
    assert [prop["name"] for prop in again.json()["results"]] == ["simcrm_closedlost_at"]
    assert [error["category"] for error in again.json()["errors"]] == ["OBJECT_ALREADY_EXISTS"]
    bad = api.post("/crm/v3/properties/deals/batch/create", json={"inputs": [{**definition("x_at"), "type": "time"}]})
    assert bad.status_code == 400
    read = api.post(
        "/crm/v3/properties/deals/batch/read", json={"inputs": [{"name": "simcrm_closedwon_at"}, {"name": "dealname"}]}
    )
    assert read.status_code == 200 and {prop["name"] for prop in read.json()["results"]} == {
        "simcrm_closedwon_at",
        "dealname",
    }
    listed = {prop["name"] for prop in api.get("/crm/v3/properties/deals").json()["results"]}
    assert {"simcrm_closedwon_at", "simcrm_closedlost_at", "createdate", "hs_v2_date_entered_closedwon"} <= listed
    assert hubspot.properties_created("deals")["simcrm_closedwon_at"]["type"] == "datetime"

    def create(value: str) -> httpx.Response:
        properties = {"dealname": "Big", "dealstage": "closedwon", "simcrm_closedwon_at": value}
        return api.post("/crm/v3/objects/deals", json={"properties": properties})

    assert create("2025-01-02T03:04:05Z").json()["properties"]["simcrm_closedwon_at"] == "2025-01-02T03:04:05.000Z"
    (error,) = _refused(create("soon"))
    assert (error["name"], error["error"]) == ("simcrm_closedwon_at", "INVALID_LONG")


def test_associations_are_idempotent_and_report_unknown_ids(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    (contact,) = _upsert(api, "contacts", [_contact("a@example.com")]).json()["results"]
    company = api.post("/crm/v3/objects/companies", json={"properties": {"name": "Acme"}}).json()
    url = "/crm/v4/associations/contacts/companies/batch/associate/default"
    inputs = [{"from": {"id": contact["id"]}, "to": {"id": company["id"]}}]
    for _ in range(2):
        answer = api.post(url, json={"inputs": inputs})
        assert answer.status_code == 200
        (result,) = answer.json()["results"]
        assert result["fromObjectTypeId"] == "0-1" and result["toObjectTypeId"] == "0-2"
        assert result["associationTypes"] == [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279, "label": None}
        ]
    assert hubspot.associations() == {("contacts", contact["id"], "companies", company["id"])}

    # The same association seen from the company's side changes nothing either.
    reverse = [{"from": {"id": company["id"]}, "to": {"id": contact["id"]}}]
    answer = api.post("/crm/v4/associations/companies/contacts/batch/associate/default", json={"inputs": reverse})
    assert answer.json()["results"][0]["associationTypes"][0]["associationTypeId"] == 280
    assert len(hubspot.associations()) == 1

    assert _unique_property(api, "deals").status_code == 201
    deal_input = {"idProperty": "simcrm_id", "id": "d1", "properties": {"dealstage": "qualifiedtobuy"}}
    (deal,) = _upsert(api, "deals", [deal_input]).json()["results"]
    inputs = [
        {"from": {"id": deal["id"]}, "to": {"id": contact["id"]}},
        {"from": {"id": deal["id"]}, "to": {"id": "999999"}},
    ]
    answer = api.post("/crm/v4/associations/deals/contacts/batch/associate/default", json={"inputs": inputs})
    assert answer.status_code == 207
    body = answer.json()
    assert body["numErrors"] == 1
    assert body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert body["errors"][0]["context"] == {"toObjectId": ["999999"]}
    assert [result["associationTypes"][0]["associationTypeId"] for result in body["results"]] == [3]
    assert ("deals", deal["id"], "contacts", contact["id"]) in hubspot.associations()
    assert len(hubspot.associations()) == 2


def test_ten_second_limit_answers_429_with_headers() -> None:
    clock = Clock()
    with (
        HubSpotStandIn(ten_second_limit=3, clock=clock) as hubspot,
        httpx.Client(base_url=hubspot.base_url, headers=AUTH) as api,
    ):
        remaining = [api.get("/account-info/v3/details").headers["X-HubSpot-RateLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        clock.now += 5
        answer = api.get("/account-info/v3/details")
        assert answer.status_code == 429
        body = answer.json()
        assert body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert body["errorType"] == "RATE_LIMIT"
        assert body["message"] == "You have reached your ten_secondly_rolling limit."
        assert body["status"] == "error" and body["correlationId"] and body["groupName"]
        assert answer.headers["Retry-After"] == "5"
        assert answer.headers["X-HubSpot-RateLimit-Max"] == "3"
        assert answer.headers["X-HubSpot-RateLimit-Remaining"] == "0"

        clock.now += 5  # the first three leave the window; the 429 still counts
        answer = api.get("/account-info/v3/details")
        assert answer.status_code == 200
        assert answer.headers["X-HubSpot-RateLimit-Remaining"] == "1"
        assert hubspot.daily_used == 5
        assert hubspot.max_in_window() == 4


def test_daily_limit_and_reset() -> None:
    with (
        HubSpotStandIn(daily_limit=2) as hubspot,
        httpx.Client(base_url=hubspot.base_url, headers=AUTH) as api,
    ):
        assert [api.get("/account-info/v3/details").status_code for _ in range(2)] == [200, 200]
        answer = api.get("/account-info/v3/details")
        assert answer.status_code == 429
        assert answer.json()["policyName"] == "DAILY"
        assert answer.json()["message"] == "You have reached your daily limit."
        assert int(answer.headers["Retry-After"]) > 0
        assert answer.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        assert hubspot.daily_used == 3
        hubspot.reset_daily()
        assert hubspot.daily_used == 0
        assert api.get("/account-info/v3/details").status_code == 200


def test_fail_next_answers_before_anything(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    hubspot.fail_next(2)
    for _ in range(2):
        answer = _upsert(api, "contacts", [_contact("a@example.com")])
        assert answer.status_code == 429
        assert answer.json()["policyName"] == "TEN_SECONDLY_ROLLING"
        assert answer.headers["Retry-After"] == "1"
    assert hubspot.objects("contacts") == {}
    hubspot.fail_next(1, status=429, policy="DAILY")
    assert api.get("/account-info/v3/details").json()["policyName"] == "DAILY"
    hubspot.fail_next(1, status=503)
    answer = httpx.get(f"{hubspot.base_url}/account-info/v3/details")  # even before the token is looked at
    assert answer.status_code == 503
    assert answer.json()["status"] == "error" and answer.json()["category"] == "INTERNAL_ERROR"
    assert api.get("/account-info/v3/details").status_code == 200
    assert hubspot.daily_used == 1  # forced failures never reached the limits
    assert [record.status for record in hubspot.requests] == [429, 429, 429, 503, 200]


def test_lost_answer_still_applies_the_write(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    hubspot.lose_next_answers(1)
    assert api.get("/account-info/v3/details").status_code == 200  # reads are not writes
    with pytest.raises(httpx.TransportError):
        _upsert(api, "contacts", [_contact("a@example.com", firstname="Ada")])
    (contact_id,) = hubspot.objects("contacts")
    assert hubspot.requests[-1].answered is False and hubspot.requests[-1].status == 200

    (result,) = _upsert(api, "contacts", [_contact("a@example.com", firstname="Ada")]).json()["results"]
    assert result["id"] == contact_id and result["new"] is False
    assert len(hubspot.objects("contacts")) == 1


def test_max_in_window_per_token() -> None:
    clock = Clock()
    other = "pat-other-token-7777"
    with HubSpotStandIn(clock=clock, tokens={STANDIN_TOKEN, other}) as hubspot:
        url = f"{hubspot.base_url}/account-info/v3/details"
        for moment, token in [(0.0, STANDIN_TOKEN), (1.0, STANDIN_TOKEN), (2.0, other), (11.0, STANDIN_TOKEN)]:
            clock.now = 1000.0 + moment
            assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        for moment in (11.5, 11.9):
            clock.now = 1000.0 + moment
            httpx.get(url, headers={"Authorization": f"Bearer {other}"})
        clock.now = 1012.5
        httpx.get(url)  # a 401 does not count
        assert hubspot.max_in_window() == 4  # 2, 11, 11.5, 11.9
        assert hubspot.max_in_window(token=STANDIN_TOKEN) == 2
        assert hubspot.max_in_window(token=other) == 3
        assert hubspot.max_in_window(seconds=0.5) == 2


def test_read_back_with_paging(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    _upsert(api, "contacts", [_contact(f"c{index}@example.com") for index in range(25)])
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params = {"limit": "10", **({"after": after} if after else {})}
        body = api.get("/crm/v3/objects/contacts", params=params).json()
        pages += 1
        seen += [result["id"] for result in body["results"]]
        if "paging" not in body:
            break
        after = body["paging"]["next"]["after"]
    assert pages == 3
    assert seen == sorted(hubspot.objects("contacts"), key=int)

    answer = api.get(f"/crm/v3/objects/contacts/{seen[0]}")
    assert answer.status_code == 200 and answer.json()["properties"]["email"].endswith("@example.com")
    email = answer.json()["properties"]["email"]
    by_email = api.get(f"/crm/v3/objects/contacts/{email.upper()}", params={"idProperty": "email"})
    assert by_email.json()["id"] == seen[0]
    answer = api.get("/crm/v3/objects/contacts/424242")
    assert answer.status_code == 404 and answer.json()["category"] == "OBJECT_NOT_FOUND"
    assert api.get("/crm/v3/objects/contacts", params={"limit": "101"}).status_code == 400


def test_state_unknown_paths_bad_json_and_latency(hubspot: HubSpotStandIn, api: httpx.Client) -> None:
    _upsert(api, "contacts", [_contact("a@example.com")])
    state = httpx.get(f"{hubspot.base_url}/_standin/state").json()
    assert state["objects"] == {"contacts": 1, **dict.fromkeys(OBJECT_TYPES[1:], 0)}
    assert state["associations"] == 0 and state["requests"] == 1 and state["dailyUsed"] == 1

    answer = api.get("/crm/v3/nothing/here")
    assert answer.status_code == 404 and answer.json()["status"] == "error"
    answer = api.post(
        "/crm/v3/objects/contacts/batch/upsert", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["category"] == "VALIDATION_ERROR"
    assert _upsert(api, "widgets", []).status_code == 400

    hubspot.latency = 0.2
    took = []
    for _ in range(8):
        started = time.monotonic()
        assert api.get("/account-info/v3/details").status_code == 200
        took.append(time.monotonic() - started)
    assert all(0.2 * 0.75 <= seconds < 0.2 * 1.25 + 0.1 for seconds in took)
    assert max(took) - min(took) > 0.01  # jittered, not a fixed delay


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_management_command_serves_until_stopped() -> None:
    port = _free_port()
    token = "pat-command-token-4242"
    process = subprocess.Popen(
        [
            *(sys.executable, "manage.py", "hubspot_standin", "--port", str(port), "--token", token),
            *("--tier", "enterprise", "--latency-ms", "300"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/_standin/state", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the stand-in exited"
            assert time.monotonic() < deadline, "the stand-in never answered"
            time.sleep(0.1)
        started = time.monotonic()
        answer = httpx.get(f"{base_url}/account-info/v3/details", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and time.monotonic() - started >= 0.3 * 0.75
        assert answer.headers["X-HubSpot-RateLimit-Max"] == "190"
        assert httpx.get(f"{base_url}/account-info/v3/details", headers=AUTH).status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert output.splitlines()[0] == base_url
    assert token in output
    connection = json.loads(output.split("POST /api/connections/ ", 1)[1].splitlines()[0])
    assert connection == {
        "name": "Local stand-in",
        "kind": "hubspot",
        "access_token": token,
        "base_url": base_url,
        "tier": "enterprise",
    }
