"""Salesforce, the second CRM adapter: a Connected App's client credentials, sObject Collections, SOQL.

Every record kind is inserted (CrmAdapter.creates), because Salesforce takes a past CreatedDate only when a
record is inserted, not through an upsert; each carries its SimCRM id in the unique external id field
SimCRM_Id__c, so inserting it again answers DUPLICATE_VALUE naming the record that exists, which counts as
delivered: a repeated batch (a lost answer, a killed worker) leaves each record in the org once. Lookups go in
the insert (a contact's AccountId, a deal's AccountId and ContactId, an activity's WhoId and WhatId); stage
changes and completed tasks are updates by Id. After a lost answer the delivery asks SOQL for the ids it sent,
which Salesforce answers at once (no index lag).

The budget is Salesforce's own currency: a share (Connection.daily_share, default half) of what the org has
left of its daily API allocation, as the `Sforce-Limit-Info` header of each answer reports it, and at most
MAX_IN_FLIGHT requests at once.
"""

import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from connectors.crm.base import (
    Answered,
    BeforeRequest,
    CreateInput,
    CrmBudget,
    CrmConnection,
    CrmError,
    CrmSession,
    Refusal,
    UpsertInput,
)
from connectors.crm.salesforce.client import BATCH_LIMIT, SalesforceClient
from connectors.crm.salesforce.mapping import (
    CUSTOM_FIELDS,
    EXTERNAL_ID,
    INSERT_ONLY,
    SOBJECTS,
    lookups,
    record_fields,
    typed,
)
from connectors.crypto import token_decrypt
from simulations.delivery import DeliveryVolume
from simulations.kinds import RecordKind

# One tier: the allocation is the org's own, read from its answers; until the first, a Developer Edition's.
TIERS: dict[str, str] = {"org": "The org's daily API allocation, as Salesforce reports it"}
DEVELOPER_EDITION_REQUESTS_PER_DAY = 15_000
# Salesforce caps concurrent long-running requests (20 s or more) at 25 an org, 5 in a Developer Edition: at
# most this many in flight, so even a slow org never refuses one for concurrency.
MAX_IN_FLIGHT = 5
# The marker, among an sObject's recorded fields, that the org lets SimCRM's user set CreatedDate on insert.
AUDIT_FIELDS = "CreatedDate"
# The refusal of an insert whose external id exists already names that record.
_DUPLICATE_OF = "duplicates value on record with id: "


class SalesforceSession(SalesforceClient):
    """The client, speaking the delivery core's record kinds (mapping.SOBJECTS)."""

    def __init__(self, *, audit_fields: set[str], **client: Any) -> None:
        super().__init__(**client)
        self._audit_fields = audit_fields  # the sObjects that take CreatedDate on insert

    def create(self, kind: RecordKind, inputs: list[CreateInput]) -> Answered:
        sobject = SOBJECTS[kind.name]
        records = [
            {**self._insertable(sobject, fields), **lookups(kind.name, associations)}
            for _, fields, associations in inputs
        ]
        results = self.collection_insert(sobject, records)
        return _answered([key for key, _, _ in inputs], results, duplicates=True)

    def update(self, kind: RecordKind, inputs: list[tuple[str, dict[str, str]]]) -> Answered:
        records = [{"Id": crm_id, **_updatable(fields)} for crm_id, fields in inputs]
        return _answered([crm_id for crm_id, _ in inputs], self.collection_update(SOBJECTS[kind.name], records))

    def find(self, kind: RecordKind, keys: list[str]) -> dict[str, str]:
        return self.ids_by(SOBJECTS[kind.name], EXTERNAL_ID, keys)

    def upsert(self, kind: RecordKind, inputs: list[UpsertInput]) -> Answered:
        records = [_updatable(fields) for _, fields in inputs]
        results = self.collection_upsert(SOBJECTS[kind.name], EXTERNAL_ID, records)
        return _answered([key for key, _ in inputs], results)

    def associate(self, from_kind: RecordKind, to_kind: RecordKind, pairs: list[tuple[str, str]]) -> int:
        """Set the lookup fields of these records (Salesforce associates by lookup, set on insert by create)."""
        records = [{"Id": crm_id, **lookups(from_kind.name, [(to_kind.name, to_id)])} for crm_id, to_id in pairs]
        answered = _answered([crm_id for crm_id, _ in pairs], self.collection_update(SOBJECTS[from_kind.name], records))
        return len(answered)

    def _insertable(self, sobject: str, fields: dict[str, str]) -> dict[str, Any]:
        allowed = sobject in self._audit_fields
        return typed({name: value for name, value in fields.items() if name != "CreatedDate" or allowed})


def _updatable(fields: dict[str, str]) -> dict[str, Any]:
    return typed({name: value for name, value in fields.items() if name not in INSERT_ONLY})


def _answered(keys: list[str], results: list[dict[str, Any]], *, duplicates: bool = False) -> Answered:
    """Match a collection's results (in request order) to their keys; an insert refused as a duplicate of the
    record with the same SimCRM id is that record (delivered before, its answer lost)."""
    ids: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, result in zip(keys, results, strict=True):
        if result.get("success") and result.get("id"):
            ids[key] = str(result["id"])
            continue
        refusals = [error for error in result.get("errors") or [] if isinstance(error, dict)]
        existing = next(
            (
                str(error.get("message", "")).rpartition(_DUPLICATE_OF)[2].strip()
                for error in refusals
                if duplicates
                and error.get("statusCode") == "DUPLICATE_VALUE"
                and EXTERNAL_ID in str(error.get("message"))
            ),
            "",
        )
        if existing:
            ids[key] = existing
            continue
        reasons = "; ".join(f"{error.get('statusCode')}: {error.get('message')}" for error in refusals) or "no reason"
        errors[key] = f"Salesforce refused this record ({reasons})."
    return Answered(ids, errors)


class SalesforceAdapter:
    kind = "salesforce"
    label = "Salesforce"
    default_base_url = "https://login.salesforce.com"
    tiers: Mapping[str, str] = TIERS
    # Access tokens are "<org id>!<session>"; SimCRM never logs one, and redacts any that an error quotes.
    secret_patterns: tuple[str, ...] = (r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-]{16,}",)
    find_after_seconds = 0.0  # SOQL sees a record as soon as its insert is committed
    credentials: tuple[str, ...] = ("instance_url", "client_id", "client_secret")
    secret_field = "client_secret"  # noqa: S105 - the name of the field, not a secret
    daily_share_default = 0.5
    budget = CrmBudget(
        # No short window: the REST API limits the day and concurrent requests. The window only bounds bursts.
        window_seconds=1.0,
        requests_per_window={"org": 100},
        batch_limit=BATCH_LIMIT,
        requests_per_day={"org": DEVELOPER_EDITION_REQUESTS_PER_DAY},
        max_in_flight=MAX_IN_FLIGHT,
    )

    def session(self, connection: CrmConnection, *, before_request: BeforeRequest) -> SalesforceSession:
        audit = {sobject for sobject, names in connection.custom_properties.items() if AUDIT_FIELDS in names}
        return SalesforceSession(
            audit_fields=audit,
            instance_url=connection.base_url,
            client_id=connection.client_id,
            client_secret=token_decrypt(connection.token_encrypted),
            timeout=settings.SIMCRM_CRM_TIMEOUT_SECONDS,
            before_request=before_request,
        )

    def account_check(self, session: CrmSession) -> int | None:
        _salesforce(session).limits()
        return None  # an org's id (00D…) is not a number: Connection.portal_id stays empty

    def prepare(self, session: CrmSession, connection: CrmConnection, kind: RecordKind) -> dict[str, list[str]]:
        """SimCRM's fields on every sObject it writes (created through the Tooling API where missing), and whether
        the org lets SimCRM's user set CreatedDate on each: two requests the first time (a composite of describes,
        and one of field creations), none once the connection has them recorded."""
        if SOBJECTS[kind.name] in connection.custom_properties:
            return {}
        sobjects = [sobject for sobject in CUSTOM_FIELDS if sobject not in connection.custom_properties]
        client = _salesforce(session)
        fields: dict[str, dict[str, Any]] = {}
        described = client.composite([("GET", f"/sobjects/{sobject}/describe", None) for sobject in sobjects])
        for sobject, (status, body) in zip(sobjects, described, strict=True):
            if status != 200 or not isinstance(body, dict):
                raise CrmError(Refusal.INVALID, f"Salesforce did not describe {sobject} ({status}: {_first(body)}).")
            fields[sobject] = {str(field["name"]): field for field in body.get("fields", [])}
        missing = [
            (sobject, name, metadata)
            for sobject in sobjects
            for name, metadata in CUSTOM_FIELDS[sobject]
            if name not in fields[sobject]
        ]
        if missing:
            creations = [
                ("POST", "/sobjects/CustomField", {"FullName": f"{sobject}.{name}", "Metadata": metadata})
                for sobject, name, metadata in missing
            ]
            answers = client.composite(creations, tooling=True)
            refused = [
                (sobject, name, metadata, f"{status}: {_first(body)}")
                for (sobject, name, metadata), (status, body) in zip(missing, answers, strict=True)
                if status >= 400 and "DUPLICATE_DEVELOPER_NAME" not in str(body)
            ]
            if refused:
                raise CrmError(Refusal.INVALID, _create_by_hand(refused))
        return {
            sobject: sorted(
                {
                    *(name for name, _ in CUSTOM_FIELDS[sobject]),
                    *([AUDIT_FIELDS] if fields[sobject].get("CreatedDate", {}).get("createable") else []),
                }
            )
            for sobject in sobjects
        }

    def record_key(self, kind: RecordKind, record: Any, simcrm_id: str) -> str:
        return simcrm_id

    def upsert_inputs(self, kind: RecordKind, keyed: Mapping[str, Any], *, fallback: bool) -> list[UpsertInput]:
        return [(key, record_fields(kind.name, record, key)) for key, record in keyed.items()]

    def creates(self, kind: RecordKind) -> bool:
        return True  # CreatedDate is set on insert only

    def upsert_fallback(self, kind: RecordKind, error: CrmError) -> bool:
        return False

    def requests_forecast(self, volume: DeliveryVolume) -> int:
        """Collections of 200 at best: inserts and updates of each kind (lookups go in the insert), and the set-up
        of each sObject (a describe, and SimCRM's fields where missing)."""

        def batches(counts: Mapping[str, int]) -> int:
            return sum(math.ceil(count / BATCH_LIMIT) for count in counts.values())

        sobjects = {SOBJECTS[name] for name, count in volume.creates.items() if count and name in SOBJECTS}
        setup = sum(1 + len(CUSTOM_FIELDS[sobject]) for sobject in sobjects)
        return batches(volume.creates) + batches(volume.updates) + setup

    def probe_seconds(self) -> float:
        return float(settings.SIMCRM_CRM_PROBE_SECONDS)


def _create_by_hand(refused: list[tuple[str, str, dict[str, Any], str]]) -> str:
    def described(sobject: str, name: str, metadata: dict[str, Any]) -> str:
        kind = f"{metadata['type']}({metadata['length']})" if "length" in metadata else str(metadata["type"])
        flags = ", External ID, Unique" if metadata.get("externalId") else ""
        return f"{sobject}: {metadata['label']} ({name}, {kind}{flags})"

    fields = "; ".join(described(sobject, name, metadata) for sobject, name, metadata, _ in refused)
    return (
        f"SimCRM could not create its fields in Salesforce ({refused[0][3]}). Create them in Setup, Object Manager, "
        f"Fields & Relationships: {fields}; give the Connected App's run-as user read and edit access to them, then "
        "retry the failed records."
    )


def _first(body: Any) -> str:
    """The first error of a Salesforce error body, as text."""
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    return f"{first.get('errorCode', '')} {first.get('message', '')}".strip() or "no message"


def _salesforce(session: CrmSession) -> SalesforceClient:
    assert isinstance(session, SalesforceClient), "a Salesforce adapter's session is its own"
    return session


SALESFORCE_ADAPTER = SalesforceAdapter()
