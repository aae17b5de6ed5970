"""Connections: create (the token checked with one call), change, delete, and retry failed deliveries.

A connection's status changes here and in connectors.delivery (what the CRM's answers say).
"""

from contextlib import closing
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F

from connectors.budget import BudgetExhausted, daily_usage_note
from connectors.crm.base import CrmAdapter, CrmError, Refusal, crm_adapter, crm_default_kind
from connectors.crypto import token_encrypt
from connectors.delivery import crm_session, delivered_models
from connectors.models import Connection, ConnectionStatus
from connectors.outbox import deliveries_requeue
from simulations.models import SyncStatus

# Every credential a connection may be created with (CrmAdapter.credentials says which its kind takes).
CREDENTIALS = ("access_token", "client_secret", "client_id", "base_url", "instance_url")


def connection_create(
    *,
    owner: User,
    name: str,
    kind: str | None = None,
    tier: str | None = None,
    daily_share: float | None = None,
    **credentials: str,
) -> Connection:
    """Save a connection once its CRM accepts its credentials (one call); otherwise raise a 400 naming the field.
    Without a kind, the first adapter's; without an address, tier or daily share, its adapter's defaults.
    `credentials`: those of CREDENTIALS its adapter takes; the secret among them is stored encrypted."""
    kind = kind or crm_default_kind()
    try:
        adapter = crm_adapter(kind)
    except LookupError as error:
        raise ValidationError({"kind": [str(error)]}) from None
    _credentials_checked(adapter, credentials, creating=True)
    tier = _tier_checked(adapter, tier)
    secret = credentials[adapter.secret_field]
    base_url = credentials.get("instance_url") or credentials.get("base_url") or adapter.default_base_url
    with transaction.atomic():
        connection = Connection.objects.create(
            owner=owner,
            name=name,
            kind=kind,
            base_url=base_url,
            tier=tier,
            token_encrypted=token_encrypt(secret),
            token_last4=secret[-4:],
            client_id=credentials.get("client_id", ""),
            daily_share=_daily_share_checked(adapter, daily_share),
        )
        connection.portal_id = _account_of(connection)
        connection.save(update_fields=["portal_id", "updated_at"])
    return connection


def connection_update(*, connection: Connection, **changes: Any) -> Connection:
    """Rename, change the tier or the daily share, or give new credentials: checked first; good ones clear
    `invalid` and release the held deliveries."""
    adapter = crm_adapter(connection.kind)
    credentials = {name: changes.pop(name) for name in CREDENTIALS if name in changes}
    _credentials_checked(adapter, credentials, creating=False)
    if "tier" in changes:
        changes["tier"] = _tier_checked(adapter, changes["tier"])
    if "daily_share" in changes:
        changes["daily_share"] = _daily_share_checked(adapter, changes["daily_share"])
    fields = ["updated_at", *changes]
    for name, value in changes.items():
        setattr(connection, name, value)
    if credentials:
        secret = credentials.get(adapter.secret_field)
        checked = Connection(
            pk=connection.pk,
            kind=connection.kind,
            base_url=connection.base_url,
            tier=connection.tier,
            client_id=credentials.get("client_id", connection.client_id),
            token_encrypted=token_encrypt(secret) if secret is not None else connection.token_encrypted,
        )
        connection.portal_id = _account_of(checked)
        connection.token_encrypted, connection.client_id = checked.token_encrypted, checked.client_id
        if secret is not None:
            connection.token_last4 = secret[-4:]
        connection.status, connection.last_error = ConnectionStatus.OK, ""
        fields += ["token_encrypted", "token_last4", "client_id", "portal_id", "status", "last_error"]
    with transaction.atomic():
        connection.save(update_fields=fields)
        if credentials:
            deliveries_requeue(connection_id=connection.pk)
    return connection


def connection_delete(*, connection: Connection) -> None:
    """Delete the connection; records of its simulations not delivered yet are marked failed, saying why."""
    with transaction.atomic():
        for model in delivered_models():
            model._default_manager.filter(
                simulation__connection_link__connection=connection, sync_status=SyncStatus.PENDING
            ).update(sync_status=SyncStatus.FAILED, sync_error="Its connection was deleted before it was delivered.")
        connection.delete()


def deliveries_retry_failed(*, connection: Connection) -> int:
    """Queue every failed delivery of the connection's simulations again; return how many records."""
    with transaction.atomic():
        retried = sum(
            model._default_manager.filter(
                simulation__connection_link__connection=connection, sync_status=SyncStatus.FAILED
            ).update(sync_status=SyncStatus.PENDING, sync_error="", sync_version=F("sync_version") + 1)
            for model in delivered_models()
        )
        deliveries_requeue(connection_id=connection.pk)
    return retried


def connection_delivery_counts(*, connection_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per connection, the records of its simulations by delivery status: {"pending", "synced", "failed"}.

    One grouped query per record table for all the connections asked about, so a list costs three queries.
    """
    counts = {connection_id: dict.fromkeys(SyncStatus.values, 0) for connection_id in connection_ids}
    for model in delivered_models():
        rows = (
            model._default_manager.filter(
                simulation__connection_link__connection_id__in=connection_ids, sync_status__isnull=False
            )
            .values_list("simulation__connection_link__connection_id", "sync_status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for connection_id, sync_status, n in rows:
            if sync_status in counts[connection_id]:
                counts[connection_id][sync_status] += n
    return counts


def _credentials_checked(adapter: CrmAdapter, credentials: dict[str, str], *, creating: bool) -> None:
    """A 400 naming each credential this CRM does not take, and (when creating) each it needs and lacks; an
    address the CRM needs is given once, as base_url or instance_url, whichever it names."""
    taken = set(adapter.credentials)
    errors = {
        name: [f"{adapter.label} connections do not take {name}; they take {', '.join(adapter.credentials)}."]
        for name in credentials
        if name not in taken
    }
    if creating:
        # The address has a default where the CRM has one API address for every account (base_url).
        needed = [name for name in adapter.credentials if name != "base_url"]
        errors |= {name: [f"{adapter.label} connections need {name}."] for name in needed if not credentials.get(name)}
    if errors:
        raise ValidationError(errors)


def _daily_share_checked(adapter: CrmAdapter, share: float | None) -> float | None:
    """The share of the daily allocation, or the adapter's default; a 400 where its CRM has no such share."""
    if adapter.daily_share_default is None:
        if share is not None:
            raise ValidationError(
                {"daily_share": [f"{adapter.label} has a fixed daily limit per tier, not a share to set."]}
            )
        return None
    return adapter.daily_share_default if share is None else share


def _tier_checked(adapter: CrmAdapter, tier: str | None) -> str:
    """The tier, or the adapter's first when none is given; a 400 naming `tier` when its CRM has no such plan."""
    if tier is None:
        return next(iter(adapter.tiers))
    if tier not in adapter.tiers:
        raise ValidationError(
            {"tier": [f"{adapter.label} connections take one of: {', '.join(adapter.tiers)}; not {tier!r}."]}
        )
    return tier


def _account_of(connection: Connection) -> int | None:
    """Check the token with the CRM's cheapest call; the account id it answers, or a 400 that says what is wrong."""
    adapter = crm_adapter(connection.kind)
    try:
        with closing(crm_session(connection)) as session:
            account = adapter.account_check(session)
            if connection.pk is not None:
                daily_usage_note(connection_id=connection.pk, usage=session.daily_usage())
            return account
    except BudgetExhausted as exhausted:
        raise ValidationError(
            {"non_field_errors": [f"This connection's request budget is used up; try again in {exhausted.wait:.0f} s."]}
        ) from None
    except CrmError as error:
        if error.refusal == Refusal.AUTH:
            raise ValidationError({adapter.secret_field: [error.message]}) from None
        if error.refusal == Refusal.UNAVAILABLE:
            address = "instance_url" if "instance_url" in adapter.credentials else "base_url"
            raise ValidationError(
                {
                    address: [
                        f"Could not reach {adapter.label} at {connection.base_url}: {error.message} Check {address}."
                    ]
                }
            ) from None
        raise ValidationError(
            {"non_field_errors": [f"{adapter.label} did not accept the check: {error.message}"]}
        ) from None
