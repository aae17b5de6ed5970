"""What the neutral delivery core asks of a CRM: one adapter per CRM, registered by the connection kind it serves.

The core (connectors.delivery, budget, outbox, services) reads SimCRM's record kinds, their fields
and associations from simulations.kinds; an adapter knows how its CRM names, checks, stores and
refuses them. A session's methods only speak HTTP (the delivery runs them in threads); everything that
reads the database happens in the adapter's other methods, in the job's own thread.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from core.redaction import secret_patterns_add
from simulations.delivery import DeliveryVolume
from simulations.kinds import RecordKind

# One record's input to an upsert: its key in the CRM (what the answer is matched by) and its fields.
UpsertInput = tuple[str, dict[str, str]]
# One record's input to a create: its key, its fields, and the (CRM object type, CRM id) of each record it is
# associated with, made with it.
CreateInput = tuple[str, dict[str, str], list[tuple[str, str]]]
# Called before every request a session sends; raises to stop it (the shared budget says "not now").
# None where the caller has taken the budget's slots itself (delivery's concurrent requests).
BeforeRequest = Callable[[], None] | None


class Answered(dict[str, str]):
    """{key: the CRM's id} of the records a batch request answered for; `errors`: why the CRM refused the others
    it names (by key), for their sync_error."""

    def __init__(self, ids: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(ids or {})
        self.errors: dict[str, str] = dict(errors or {})


def refusals_of(answer: Mapping[str, str]) -> dict[str, str]:
    """Why the CRM refused the records a batch answer leaves out, where the adapter says (Answered)."""
    return answer.errors if isinstance(answer, Answered) else {}


class Refusal(StrEnum):
    AUTH = "auth"  # the token is wrong or revoked: deliveries are held
    RATE = "rate"  # the CRM's rolling window is full: wait its retry_after
    DAILY = "daily"  # the CRM's daily limit is reached: probe until it accepts again
    INVALID = "invalid"  # this input will never be accepted
    UNAVAILABLE = "unavailable"  # 5xx, a timeout, a lost connection: try again later


@dataclass
class CrmError(Exception):
    """A CRM's refusal, classified by its adapter; the message says what to change, and holds no secret."""

    refusal: Refusal
    message: str
    status: int | None = None
    retry_after: float | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CrmBudget:
    window_seconds: float  # the CRM's rolling window
    requests_per_window: Mapping[str, int]  # its limit per window, by Connection.tier
    batch_limit: int  # records (or associations) per request
    # Its limit per day, by Connection.tier; a tier it does not name has none. For a CRM that reports its daily
    # usage (CrmAdapter.daily_share_default), the allocation assumed until its first answer says.
    requests_per_day: Mapping[str, int] = field(default_factory=dict)
    # The most requests in flight at once, where the CRM caps concurrent requests; None: the budget's own cap.
    max_in_flight: int | None = None


class CrmConnection(Protocol):
    """What an adapter reads of a connection (connectors.models.Connection)."""

    pk: Any
    base_url: str
    token_encrypted: str
    client_id: str
    custom_properties: dict[str, Any]


class CrmSession(Protocol):
    """An open client of one connection; safe to share between threads when made without `before_request`.
    Every method raises CrmError for a refusal or a lost answer."""

    def close(self) -> None: ...
    def daily_usage(self) -> tuple[int, int] | None:
        """(requests used, daily allocation) of the account, as the CRM's last answer reported them; None when
        it reports none."""
        ...

    def upsert(self, kind: RecordKind, inputs: list[UpsertInput]) -> dict[str, str]:
        """Create or update up to batch_limit records; return {key: the CRM's id} for those it answered."""
        ...

    def associate(self, from_kind: RecordKind, to_kind: RecordKind, pairs: list[tuple[str, str]]) -> int:
        """Associate up to batch_limit pairs of CRM ids; associating a pair again changes nothing."""
        ...


class CrmCreatingSession(CrmSession, Protocol):
    """The session of an adapter whose `creates` says True for some kind: records of that kind are created with
    their associations, updated by their CRM id, and found by their key after a lost answer."""

    def create(self, kind: RecordKind, inputs: list[CreateInput]) -> dict[str, str]:
        """Create up to batch_limit records with their associations; return {key: the CRM's id}."""
        ...

    def update(self, kind: RecordKind, inputs: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
        """Update up to batch_limit records by their CRM ids; return {CRM id: CRM id} of those answered."""
        ...

    def find(self, kind: RecordKind, keys: list[str]) -> dict[str, str]:
        """{key: the CRM's id} of the records among these keys that the CRM holds."""
        ...


class CrmAdapter(Protocol):
    kind: str  # Connection.kind
    label: str  # the CRM's name in messages
    budget: CrmBudget
    default_base_url: str  # Connection.base_url when none is given: the CRM's API
    # Connection.tier: the plans whose limits the budget knows, with their labels; the first is the default.
    tiers: Mapping[str, str]
    # Regular expressions of what its secrets look like, so logs and answers never show one (core.redaction).
    secret_patterns: tuple[str, ...]
    # How long after a lost answer a find sees what the request created (the CRM's search lags its writes).
    find_after_seconds: float
    # The fields a connection of this kind is created with, besides name, kind and tier: its secret, and the
    # address and client id where the CRM needs them (one of access_token, client_secret, client_id, base_url,
    # instance_url). `secret_field` names the secret, which a refusal of it names too.
    credentials: tuple[str, ...]
    secret_field: str
    # The share of the account's remaining daily allocation a connection may use by default, for a CRM that
    # reports its daily usage in its answers (CrmSession.daily_usage); None: a fixed daily limit per tier.
    daily_share_default: float | None

    def session(self, connection: CrmConnection, *, before_request: BeforeRequest) -> CrmSession: ...
    def account_check(self, session: CrmSession) -> int | None:
        """The cheapest authenticated call (the token check, and the probe after a daily limit): the account's id."""
        ...

    def prepare(self, session: CrmSession, connection: CrmConnection, kind: RecordKind) -> dict[str, list[str]]:
        """Make the CRM ready for records of this kind (SimCRM's own fields); return what to record on the
        connection's `custom_properties` (by key, e.g. a CRM object, the names now known to be there), which the
        core keeps; empty when nothing is new."""
        ...

    def record_key(self, kind: RecordKind, record: Any, simcrm_id: str) -> str:
        """The key a record is upserted and matched by."""
        ...

    def upsert_inputs(self, kind: RecordKind, keyed: Mapping[str, Any], *, fallback: bool) -> list[UpsertInput]:
        """The inputs of a batch of records by key; `fallback`: the shape upsert_fallback asked for."""
        ...

    def creates(self, kind: RecordKind) -> bool:
        """Whether this kind's records are created with their associations (its CRM object has no unique key to
        upsert by), instead of upserted and then associated."""
        ...

    def upsert_fallback(self, kind: RecordKind, error: CrmError) -> bool:
        """Whether a batch refused this way goes again in its fallback shape."""
        ...

    def requests_forecast(self, volume: DeliveryVolume) -> int:
        """How many requests delivering these records (and their associations) takes."""
        ...

    def probe_seconds(self) -> float:
        """How long a daily limit holds deliveries before one probe asks again."""
        ...


_adapters: dict[str, CrmAdapter] = {}


def crm_adapter_register(adapter: CrmAdapter) -> None:
    _adapters[adapter.kind] = adapter
    secret_patterns_add(adapter.secret_patterns)


def crm_adapter(kind: str) -> CrmAdapter:
    try:
        return _adapters[kind]
    except KeyError:
        raise LookupError(f"No CRM adapter is registered for connections of kind {kind!r}.") from None


def crm_adapters() -> list[CrmAdapter]:
    """The registered adapters, the first registered first (SIMCRM_CRM_ADAPTERS' order)."""
    return list(_adapters.values())


def crm_kind_choices() -> list[tuple[str, str]]:
    """Connection.kind's choices: one per registered adapter."""
    return [(adapter.kind, adapter.label) for adapter in _adapters.values()]


def crm_tier_choices() -> list[tuple[str, str]]:
    """Connection.tier's choices: every registered adapter's tiers (each kind accepts only its own)."""
    choices: dict[str, str] = {}
    for adapter in _adapters.values():
        for tier, label in adapter.tiers.items():
            choices.setdefault(tier, label)
    return list(choices.items())


def crm_default_kind() -> str:
    """A connection's kind when none is given: the first adapter registered."""
    return next(iter(_adapters))


def crm_default_base_url() -> str:
    return crm_adapter(crm_default_kind()).default_base_url


def crm_default_tier() -> str:
    return next(iter(crm_adapter(crm_default_kind()).tiers))
