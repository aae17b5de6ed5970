"""HubSpot, the first CRM adapter: private-app tokens, the v3 batch upserts and v4 default associations.

Contacts are upserted by `email`, companies and deals by SimCRM's unique `simcrm_id` property
(created in the portal the first time it is needed, connectors.crm.hubspot.properties); associations go
through the default-association batch endpoint. Each is idempotent in HubSpot, so a delivery repeated
after a lost answer leaves each record and association there once.

Activities (emails, calls, meetings, notes, tasks) have no unique property to upsert by: HubSpot documents
unique value properties for contacts, companies, deals, tickets and custom objects only
(developers.hubspot.com/changelog/unique-properties-for-contacts). They are created in batches with their
associations inline, each carrying its `simcrm_id` in a plain property; after a lost answer, the delivery
searches for those ids (once HubSpot's search has indexed what the request may have created) before it
sends again, so each activity is in the portal once. A task completed later is updated by its HubSpot id.
"""

import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from connectors.crm.base import (
    BeforeRequest,
    CreateInput,
    CrmBudget,
    CrmConnection,
    CrmError,
    CrmSession,
    UpsertInput,
)
from connectors.crm.hubspot.client import BATCH_LIMIT, HubSpotClient
from connectors.crm.hubspot.properties import (
    ACTIVITY_OBJECTS,
    UNIQUE_PROPERTY,
    custom_properties_ensure,
    properties_without_stage,
    record_properties,
)
from connectors.crypto import token_decrypt
from simulations.delivery import DeliveryVolume
from simulations.kinds import RecordKind

# The account's subscription: its limits below.
TIERS: dict[str, str] = {
    "starter": "Free or Starter (100 requests per 10 s)",
    "professional": "Professional (190 requests per 10 s)",
    "enterprise": "Enterprise (190 requests per 10 s)",
}
# HubSpot's private-app limits per rolling 10 seconds, per app and portal.
TIER_REQUESTS_PER_10S: dict[str, int] = {"starter": 100, "professional": 190, "enterprise": 190}
# And per day, per account, shared by its private apps: 250,000 for Free and Starter
# (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines), 650,000 for Professional and
# 1,000,000 for Enterprise (https://developers.hubspot.com/changelog/increasing-our-api-limits); HubSpot's day
# ends at midnight in the account's time zone.
TIER_REQUESTS_PER_DAY: dict[str, int] = {"starter": 250_000, "professional": 650_000, "enterprise": 1_000_000}
# The unique property: checked, and created when missing, for companies and for deals.
PROPERTY_REQUESTS = 4
# HubSpot's search finds a new record a few seconds after it was written (its index lags); the stand-in
# lags 1 s by default. A lost create is looked for only this long after it was sent.
FIND_AFTER_SECONDS = 5.0


class HubSpotSession(HubSpotClient):
    """The client, speaking the delivery core's record kinds (a kind's crm_object is HubSpot's object type)."""

    def daily_usage(self) -> tuple[int, int] | None:
        return None  # a fixed daily limit per tier (TIER_REQUESTS_PER_DAY), counted by the budget

    def upsert(self, kind: RecordKind, inputs: list[UpsertInput]) -> dict[str, str]:
        object_type = kind.crm_object
        id_property = "email" if object_type == "contacts" else UNIQUE_PROPERTY
        return self.batch_upsert(object_type, id_property=id_property, inputs=inputs)

    def associate(self, from_kind: RecordKind, to_kind: RecordKind, pairs: list[tuple[str, str]]) -> int:
        return self.associate_default(from_kind.crm_object, to_kind.crm_object, pairs)

    def create(self, kind: RecordKind, inputs: list[CreateInput]) -> dict[str, str]:
        return self.batch_create(kind.crm_object, key_property=UNIQUE_PROPERTY, inputs=inputs)

    def update(self, kind: RecordKind, inputs: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
        return self.batch_update(kind.crm_object, inputs)

    def find(self, kind: RecordKind, keys: list[str]) -> dict[str, str]:
        return self.search_ids(kind.crm_object, property_name=UNIQUE_PROPERTY, values=keys)


class HubSpotAdapter:
    kind = "hubspot"
    label = "HubSpot"
    default_base_url = "https://api.hubapi.com"
    tiers: Mapping[str, str] = TIERS
    # Private-app tokens (pat-na1-…), whole or partial. Connection.portal_id is the account's Hub ID.
    secret_patterns: tuple[str, ...] = (r"\bpat-[A-Za-z0-9_\-]{6,}",)
    find_after_seconds = FIND_AFTER_SECONDS
    credentials: tuple[str, ...] = ("access_token", "base_url")
    secret_field = "access_token"  # noqa: S105 - the name of the field, not a secret
    daily_share_default: float | None = None
    budget = CrmBudget(
        window_seconds=10.0,
        requests_per_window=TIER_REQUESTS_PER_10S,
        batch_limit=BATCH_LIMIT,
        requests_per_day=TIER_REQUESTS_PER_DAY,
    )

    def session(self, connection: CrmConnection, *, before_request: BeforeRequest) -> HubSpotSession:
        return HubSpotSession(
            base_url=connection.base_url,
            token=token_decrypt(connection.token_encrypted),
            timeout=settings.SIMCRM_HUBSPOT_TIMEOUT_SECONDS,
            before_request=before_request,
        )

    def account_check(self, session: CrmSession) -> int | None:
        portal = _hubspot(session).account_details().get("portalId")
        return int(portal) if isinstance(portal, int) else None

    def prepare(self, session: CrmSession, connection: CrmConnection, kind: RecordKind) -> dict[str, list[str]]:
        return custom_properties_ensure(client=_hubspot(session), connection=connection, kind=kind)

    def record_key(self, kind: RecordKind, record: Any, simcrm_id: str) -> str:
        return str(record.email).lower() if kind.crm_object == "contacts" else simcrm_id

    def upsert_inputs(self, kind: RecordKind, keyed: Mapping[str, Any], *, fallback: bool) -> list[UpsertInput]:
        return [
            (key, properties_without_stage(properties) if fallback else properties)
            for key, properties in record_properties(kind, keyed).items()
        ]

    def creates(self, kind: RecordKind) -> bool:
        return kind.crm_object in ACTIVITY_OBJECTS

    def upsert_fallback(self, kind: RecordKind, error: CrmError) -> bool:
        # The portal holds a later stage for one of these emails (a replay into the same portal, or a stage
        # set by hand) and HubSpot moves stages forward only: keep its stage, send the rest.
        return kind.crm_object == "contacts" and "lifecyclestage" in error.message

    def requests_forecast(self, volume: DeliveryVolume) -> int:
        """Batches of 100 at best: upserts, stage updates and associations, and the unique property of the
        object types that need it (checked, and created when missing)."""

        def batches(counts: Mapping[Any, int]) -> int:
            return sum(math.ceil(count / BATCH_LIMIT) for count in counts.values())

        keyed_by_property = any(count for name, count in volume.creates.items() if name != "contacts")
        # Activities are created with their associations: no request of their own for those.
        associations = {pair: count for pair, count in volume.associations.items() if pair[0] not in ACTIVITY_OBJECTS}
        return (
            batches(volume.creates)
            + batches(volume.updates)
            + batches(associations)
            + (PROPERTY_REQUESTS if keyed_by_property else 0)
        )

    def probe_seconds(self) -> float:
        return float(settings.SIMCRM_HUBSPOT_PROBE_SECONDS)


def _hubspot(session: CrmSession) -> HubSpotClient:
    assert isinstance(session, HubSpotClient), "a HubSpot adapter's session is its own"
    return session


HUBSPOT_ADAPTER = HubSpotAdapter()
