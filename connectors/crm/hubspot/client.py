"""A thin typed client of the HubSpot endpoints SimCRM uses, over httpx.

Not HubSpot's `hubspot-api-client`: its generated code hides the rate-limit headers behind
per-endpoint `*_with_http_info` calls and retries on its own, while SimCRM must count every request
against a budget shared by all its workers, read `Retry-After` and the `X-HubSpot-RateLimit-*`
headers of every answer, and tell a lost answer from a refusal. Five endpoints over httpx do that
in plain sight.
"""

import functools
import json
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.crm.base import BeforeRequest, CrmError, Refusal
from core.redaction import redact_secrets

# Batch endpoints take at most this many inputs.
BATCH_LIMIT = 100
# HubSpot's default (unlabelled) association types, HUBSPOT_DEFINED (its association type id table:
# developers.hubspot.com/docs/guides/api/crm/associations/associations-v4); activities take theirs inline.
ASSOCIATION_TYPES: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("deals", "contacts"): 3,
    ("deals", "companies"): 341,
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
# Results per page of a search (HubSpot's most).
SEARCH_LIMIT = 200


class HubSpotError(CrmError):
    """401 is AUTH; 429 RATE on the rolling 10 s (or secondly) window, DAILY on the daily limit; 400 and
    other 4xx INVALID; 5xx, a timeout or a lost connection UNAVAILABLE (connectors.crm.hubspot.client._refusal)."""


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class HubSpotClient:
    """Safe to share between threads (httpx.Client is) when `before_request` is None."""

    def __init__(self, *, base_url: str, token: str, timeout: float, before_request: BeforeRequest) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            verify=_tls_context(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=timeout,
        )
        self._before_request = before_request
        self.requests = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "HubSpotClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def account_details(self) -> dict[str, Any]:
        """The cheapest authenticated call: the token check and the probe after a daily limit."""
        return self._send("GET", "/account-info/v3/details").body

    def properties_read(self, object_type: str, names: list[str]) -> set[str]:
        """Which of these properties the portal has (one request; HubSpot answers 207 naming the missing ones)."""
        body = {"archived": False, "inputs": [{"name": name} for name in names]}
        answer = self._send("POST", f"/crm/v3/properties/{object_type}/batch/read", body)
        return {str(prop.get("name")) for prop in answer.body.get("results", [])}

    def properties_create(self, object_type: str, definitions: list[dict[str, Any]]) -> set[str]:
        """Create these properties in one request; return the names the portal now confirms it has.

        One another worker created meanwhile comes back as an OBJECT_ALREADY_EXISTS error naming it (207),
        which confirms it; a 409 for the whole batch confirms nothing, and the next delivery reads again.
        """
        try:
            answer = self._send("POST", f"/crm/v3/properties/{object_type}/batch/create", {"inputs": definitions})
        except HubSpotError as error:
            if error.status == 409:
                return set()
            raise
        created = {str(prop.get("name")) for prop in answer.body.get("results", [])}
        for error_body in answer.body.get("errors", []):
            if error_body.get("category") == "OBJECT_ALREADY_EXISTS":
                created.update(str(name) for name in error_body.get("context", {}).get("name", []))
        return created

    def batch_upsert(
        self, object_type: str, *, id_property: str, inputs: list[tuple[str, dict[str, str]]]
    ) -> dict[str, str]:
        """Create or update up to 100 objects by a unique property; return {that property's value: HubSpot id}.

        HubSpot answers in no particular order, so results are matched by value, never by position.
        """
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch")
        body = {"inputs": [{"idProperty": id_property, "id": key, "properties": props} for key, props in inputs]}
        answer = self._send("POST", f"/crm/v3/objects/{object_type}/batch/upsert", body)
        return _ids_by(answer, id_property)

    def batch_create(
        self, object_type: str, *, key_property: str, inputs: list[tuple[str, dict[str, str], list[tuple[str, str]]]]
    ) -> dict[str, str]:
        """Create up to 100 objects, each with its associations inline ((object type, id) of each record it is
        associated with); return {key: HubSpot id}, matched by the key property each input carries."""
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch")
        body = {
            "inputs": [
                {
                    "properties": properties,
                    "associations": [
                        {
                            "to": {"id": to_id},
                            "types": [
                                {
                                    "associationCategory": "HUBSPOT_DEFINED",
                                    "associationTypeId": ASSOCIATION_TYPES[object_type, to_type],
                                }
                            ],
                        }
                        for to_type, to_id in associations
                    ],
                }
                for _, properties, associations in inputs
            ]
        }
        answer = self._send("POST", f"/crm/v3/objects/{object_type}/batch/create", body)
        return _ids_by(answer, key_property)

    def batch_update(self, object_type: str, inputs: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
        """Update up to 100 objects by their HubSpot ids; return {id: id} for those answered."""
        body = {"inputs": [{"id": crm_id, "properties": properties} for crm_id, properties in inputs]}
        answer = self._send("POST", f"/crm/v3/objects/{object_type}/batch/update", body)
        return {str(result["id"]): str(result["id"]) for result in answer.body.get("results", [])}

    def search_ids(self, object_type: str, *, property_name: str, values: list[str]) -> dict[str, str]:
        """{value: HubSpot id} of the objects whose property holds one of these values (up to 100 values)."""
        found: dict[str, str] = {}
        after: str | None = None
        while True:
            body: dict[str, Any] = {
                "filterGroups": [{"filters": [{"propertyName": property_name, "operator": "IN", "values": values}]}],
                "properties": [property_name],
                "limit": SEARCH_LIMIT,
            }
            if after is not None:
                body["after"] = after
            answer = self._send("POST", f"/crm/v3/objects/{object_type}/search", body)
            found |= _ids_by(answer, property_name)
            after = answer.body.get("paging", {}).get("next", {}).get("after")
            if not after:
                return found

    def associate_default(self, from_type: str, to_type: str, pairs: list[tuple[str, str]]) -> int:
        """Associate up to 100 pairs with the default type; associating a pair again changes nothing."""
        if len(pairs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} pairs per batch")
        body = {"inputs": [{"from": {"id": a}, "to": {"id": b}} for a, b in pairs]}
        answer = self._send("POST", f"/crm/v4/associations/{from_type}/{to_type}/batch/associate/default", body)
        if answer.status == 207 and answer.body.get("errors"):
            first = answer.body["errors"][0]
            raise HubSpotError(
                Refusal.INVALID,
                f"HubSpot refused {answer.body.get('numErrors', 1)} association(s): {first.get('message', first)}",
                207,
            )
        return len(answer.body.get("results", []))

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        if self._before_request is not None:
            self._before_request()
            self.requests += 1
        try:
            response = self._http.request(method, path, content=json.dumps(body) if body is not None else None)
        except httpx.HTTPError as error:
            raise HubSpotError(
                Refusal.UNAVAILABLE,
                f"No answer from HubSpot ({type(error).__name__}: {redact_secrets(str(error))}).",
            ) from None
        answer = Answer(status=response.status_code, body=_json(response), headers=dict(response.headers))
        if response.status_code < 400:
            return answer
        raise _refusal(answer)


def _ids_by(answer: Answer, property_name: str) -> dict[str, str]:
    """{the property's value: HubSpot id} of an answer's results (emails in lower case, as HubSpot keeps them)."""
    found: dict[str, str] = {}
    for result in answer.body.get("results", []):
        value = str(result.get("properties", {}).get(property_name) or "")
        if value:
            found[value.lower() if property_name == "email" else value] = str(result["id"])
    return found


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle takes a fifth of a second, and every
    delivery job opens a client."""
    return httpx.create_ssl_context()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"message": response.text[:300]}
    return body if isinstance(body, dict) else {"results": body}


def _refusal(answer: Answer) -> HubSpotError:
    message = str(answer.body.get("message") or answer.body.get("status") or "no message")
    message = redact_secrets(message)
    status = answer.status
    if status == 401:
        return HubSpotError(
            Refusal.AUTH,
            f"HubSpot refused the access token (401: {message}). Give the connection a valid private-app token.",
            status,
        )
    if status == 429:
        retry_after = _retry_after(answer.headers)
        if str(answer.body.get("policyName", "")).upper() == "DAILY":
            return HubSpotError(
                Refusal.DAILY, f"HubSpot's daily request limit is reached (429: {message}).", status, retry_after
            )
        return HubSpotError(Refusal.RATE, f"HubSpot asked to slow down (429: {message}).", status, retry_after)
    if status >= 500:
        return HubSpotError(Refusal.UNAVAILABLE, f"HubSpot failed ({status}: {message}).", status)
    category = answer.body.get("category")
    return HubSpotError(
        Refusal.INVALID,
        f"HubSpot refused the request ({status} {category or ''}: {message})".replace(" :", ":"),
        status,
    )


def _retry_after(headers: dict[str, str]) -> float | None:
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in ("retry-after",):
        value = lowered.get(name)
        if value:
            try:
                return max(float(value), 0.0)
            except ValueError:
                return None
    if lowered.get("x-hubspot-ratelimit-remaining") == "0":
        interval = lowered.get("x-hubspot-ratelimit-interval-milliseconds")
        if interval and interval.isdigit():
            return int(interval) / 1000
    return None
