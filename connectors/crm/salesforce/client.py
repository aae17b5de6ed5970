"""A thin typed client of the Salesforce REST endpoints SimCRM uses, over httpx.

Not simple-salesforce: it builds its OAuth address as `https://{domain}.salesforce.com` (so it cannot reach
a local stand-in over http), has no helper for sObject Collections, and retries and renews on its own where
SimCRM must take a slot of the connection's shared budget before each request and tell a lost answer from a
refusal. The endpoints below, over httpx, do that in plain sight, like the HubSpot client.

Tokens come from the OAuth 2.0 client credentials flow of a Connected App (`POST /services/oauth2/token` on the
org's My Domain address) and are kept in memory, per process, for as long as Salesforce accepts them: a 401
INVALID_SESSION_ID renews the token once and sends the same request again, which counts as one request.
Every answer's `Sforce-Limit-Info: api-usage=N/M` header says how much of the org's daily allocation is used.
"""

import functools
import hashlib
import json
import re
import ssl
import threading
from typing import Any

import httpx

from connectors.crm.base import BeforeRequest, CrmError, Refusal
from core.redaction import redact_secrets

API_VERSION = "62.0"
DATA = f"/services/data/v{API_VERSION}"
# sObject Collections take at most this many records a request.
BATCH_LIMIT = 200
# A composite request takes at most this many subrequests.
COMPOSITE_LIMIT = 25
# An org answers a SOQL query's first 2,000 records at once; a find asks for at most BATCH_LIMIT.
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")

# (instance URL, client id, the secret's digest) -> the access token Salesforce last gave for them.
_tokens: dict[tuple[str, str, str], str] = {}
_tokens_lock = threading.Lock()


class SalesforceError(CrmError):
    """401 (after one renewal) and a refused client secret are AUTH; 403 REQUEST_LIMIT_EXCEEDED is DAILY for the
    day's total and RATE for concurrent requests; other 4xx INVALID; 5xx, a timeout or a lost connection
    UNAVAILABLE."""


class SalesforceClient:
    """Safe to share between threads (httpx.Client is) when `before_request` is None."""

    def __init__(
        self, *, instance_url: str, client_id: str, client_secret: str, timeout: float, before_request: BeforeRequest
    ) -> None:
        self._http = httpx.Client(base_url=instance_url.rstrip("/"), verify=_tls_context(), timeout=timeout)
        self._client_id, self._client_secret = client_id, client_secret
        self._token_key = (instance_url, client_id, hashlib.sha256(client_secret.encode()).hexdigest())
        self._before_request = before_request
        self._usage: tuple[int, int] | None = None
        self.requests = 0

    def close(self) -> None:
        self._http.close()

    def daily_usage(self) -> tuple[int, int] | None:
        return self._usage

    # -- endpoints ---------------------------------------------------------------------------------
    def limits(self) -> dict[str, Any]:
        """The org's limits: the cheapest authenticated call (the credentials check, the probe)."""
        answer: dict[str, Any] = self._send("GET", f"{DATA}/limits")
        return answer

    def describe(self, sobject: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._send("GET", f"{DATA}/sobjects/{sobject}/describe")
        return answer

    def composite(self, subrequests: list[tuple[str, str, Any]], *, tooling: bool = False) -> list[tuple[int, Any]]:
        """Up to 25 (method, path under the API version, body) subrequests in one request, which counts as one
        call against the org's allocation; each answer's (status, body) in order. `tooling`: Tooling API paths."""
        if len(subrequests) > COMPOSITE_LIMIT:
            raise ValueError(f"at most {COMPOSITE_LIMIT} subrequests per composite")
        base = f"{DATA}/tooling" if tooling else DATA
        body = {
            "allOrNone": False,
            "compositeRequest": [
                {
                    "method": method,
                    "url": f"{base}{path}",
                    "referenceId": f"r{index}",
                    **({"body": sent} if sent else {}),
                }
                for index, (method, path, sent) in enumerate(subrequests)
            ],
        }
        answers = self._send("POST", f"{base}/composite", body).get("compositeResponse", [])
        return [(int(answer.get("httpStatusCode", 0)), answer.get("body")) for answer in answers]

    def collection_insert(self, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert up to 200 records (allOrNone false): one result per record, in the request's order."""
        return self._collection("POST", f"{DATA}/composite/sobjects", sobject, records)

    def collection_update(self, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Update up to 200 records by their `Id`: one result per record, in order."""
        return self._collection("PATCH", f"{DATA}/composite/sobjects", sobject, records)

    def collection_upsert(self, sobject: str, external_id: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert or update up to 200 records by an external id field: one result per record, in order."""
        return self._collection("PATCH", f"{DATA}/composite/sobjects/{sobject}/{external_id}", sobject, records)

    def ids_by(self, sobject: str, field: str, values: list[str]) -> dict[str, str]:
        """{value: Id} of the records whose `field` holds one of these values (SOQL; at most 200 values)."""
        if not values:
            return {}
        listed = ", ".join(_soql_string(value) for value in values)
        query = f"SELECT Id, {field} FROM {sobject} WHERE {field} IN ({listed})"  # noqa: S608 - values quoted by _soql_string
        answer = self._send("GET", f"{DATA}/query", params={"q": query})
        return {str(row[field]): str(row["Id"]) for row in answer.get("records", []) if row.get(field)}

    # -- sending -----------------------------------------------------------------------------------
    def _collection(self, method: str, path: str, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(records) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} records per collection")
        body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **record} for record in records]}
        results = self._send(method, path, body)
        if not isinstance(results, list) or len(results) != len(records):
            raise SalesforceError(
                Refusal.INVALID,
                "Salesforce answered a collection with a result list of the "
                "wrong length; nothing in it can be matched to its records.",
            )
        return results

    def _send(self, method: str, path: str, body: Any = None, *, params: dict[str, str] | None = None) -> Any:
        if self._before_request is not None:
            self._before_request()
            self.requests += 1
        token = self._token()
        response = self._request(method, path, body, params, token)
        if response.status_code == 401:
            # The token expired or was revoked: one renewal, and the same request again (not another attempt).
            response = self._request(method, path, body, params, self._token(stale=token))
        usage = _USAGE.search(response.headers.get("sforce-limit-info", ""))
        if usage:
            self._usage = (int(usage.group(1)), int(usage.group(2)))
        answer = _json(response)
        if response.status_code < 400:
            return answer
        raise _refusal(response.status_code, answer)

    def _request(self, method: str, path: str, body: Any, params: dict[str, str] | None, token: str) -> httpx.Response:
        try:
            return self._http.request(
                method,
                path,
                params=params,
                content=json.dumps(body) if body is not None else None,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        except httpx.HTTPError as error:
            raise SalesforceError(
                Refusal.UNAVAILABLE,
                f"No answer from Salesforce ({type(error).__name__}: {redact_secrets(str(error))}).",
            ) from None

    def _token(self, *, stale: str | None = None) -> str:
        """The access token for these credentials: the one this process holds, or a new one (when it holds none,
        or holds `stale`, which Salesforce refused). One thread asks while the others wait for its answer."""
        with _tokens_lock:
            token = _tokens.get(self._token_key)
            if token is not None and token != stale:
                return token
            token = self._token_request()
            _tokens[self._token_key] = token
            return token

    def _token_request(self) -> str:
        form = {"grant_type": "client_credentials", "client_id": self._client_id, "client_secret": self._client_secret}
        try:
            response = self._http.post("/services/oauth2/token", data=form)
        except httpx.HTTPError as error:
            raise SalesforceError(
                Refusal.UNAVAILABLE,
                f"No answer from Salesforce's token endpoint ({type(error).__name__}: {redact_secrets(str(error))}).",
            ) from None
        answer = _json(response)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if response.status_code == 200 and isinstance(token, str) and token:
            return token
        if response.status_code >= 500:
            raise SalesforceError(
                Refusal.UNAVAILABLE,
                f"Salesforce's token endpoint failed ({response.status_code}).",
                response.status_code,
            )
        code = answer.get("error", "no error code") if isinstance(answer, dict) else "no error code"
        description = answer.get("error_description", "") if isinstance(answer, dict) else ""
        raise SalesforceError(
            Refusal.AUTH,
            f"Salesforce refused the client credentials ({response.status_code} {code}: "
            f"{redact_secrets(str(description))}). Check the Connected App's consumer key and secret, that it "
            "enables the client credentials flow with a run-as user, and that instance_url is the org's My Domain "
            "address; then PATCH the connection.",
            response.status_code,
        )


def _soql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return [{"errorCode": "UNKNOWN", "message": response.text[:300]}]


def _refusal(status: int, answer: Any) -> SalesforceError:
    first = answer[0] if isinstance(answer, list) and answer and isinstance(answer[0], dict) else {}
    code = str(first.get("errorCode") or "")
    message = redact_secrets(str(first.get("message") or "no message"))
    if status == 401:
        return SalesforceError(
            Refusal.AUTH,
            f"Salesforce refused a freshly issued token ({status} {code}: {message}). Check that the Connected "
            "App's run-as user is active and has API access.",
            status,
        )
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        if "concurrent" in message.lower():
            return SalesforceError(
                Refusal.RATE, f"Salesforce has too many requests in flight ({code}: {message}).", status, 5.0
            )
        return SalesforceError(Refusal.DAILY, f"The org's daily API allocation is used up ({code}: {message}).", status)
    if status >= 500:
        return SalesforceError(Refusal.UNAVAILABLE, f"Salesforce failed ({status} {code}: {message}).", status)
    hint = ""
    if code == "INVALID_FIELD" and "SimCRM_" in message:
        hint = (
            " SimCRM's fields exist but its user cannot see them: give the Connected App's run-as user read and edit "
            "access to them (a permission set), then retry the failed records."
        )
    return SalesforceError(
        Refusal.INVALID, f"Salesforce refused the request ({status} {code}: {message}).{hint}", status
    )
