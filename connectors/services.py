"""Connections: create (the token checked with one call), change, delete, and retry failed deliveries.

A connection's status changes here and in connectors.delivery (what the CRM's answers say).
"""

from contextlib import closing
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F

from connectors.budget import BudgetExhausted
from connectors.crm.base import CrmAdapter, CrmError, Refusal, crm_adapter, crm_default_kind
from connectors.crypto import token_encrypt
from connectors.delivery import crm_session, delivered_models
from connectors.models import Connection, ConnectionStatus
from connectors.outbox import deliveries_requeue
from simulations.models import SyncStatus


def connection_create(
    *,
    owner: User,
    name: str,
    access_token: str,
    kind: str | None = None,
    base_url: str | None = None,
    tier: str | None = None,
) -> Connection:
    """Save a connection once its CRM accepts its token (one call); otherwise raise a 400 naming the field.
    Without a kind, the first adapter's; without a base_url or tier, its adapter's defaults."""
    kind = kind or crm_default_kind()
    try:
        adapter = crm_adapter(kind)
    except LookupError as error:
        raise ValidationError({"kind": [str(error)]}) from None
    tier = _tier_checked(adapter, tier)
    base_url = base_url or adapter.default_base_url
    with transaction.atomic():
        connection = Connection.objects.create(
            owner=owner,
            name=name,
            kind=kind,
            base_url=base_url,
            tier=tier,
            token_encrypted=token_encrypt(access_token),
            token_last4=access_token[-4:],
        )
        connection.portal_id = _account_of(connection)
        connection.save(update_fields=["portal_id", "updated_at"])
    return connection


def connection_update(*, connection: Connection, **changes: Any) -> Connection:
    """Rename, change the tier, or give a new token: checked first; a good one clears `invalid` and
    releases the held deliveries."""
    token = changes.pop("access_token", None)
    if "tier" in changes:
        changes["tier"] = _tier_checked(crm_adapter(connection.kind), changes["tier"])
    fields = ["updated_at", *changes]
    for name, value in changes.items():
        setattr(connection, name, value)
    if token is not None:
        checked = Connection(
            pk=connection.pk,
            kind=connection.kind,
            base_url=connection.base_url,
            tier=connection.tier,
            token_encrypted=token_encrypt(token),
        )
        connection.portal_id = _account_of(checked)
        connection.token_encrypted, connection.token_last4 = checked.token_encrypted, token[-4:]
        connection.status, connection.last_error = ConnectionStatus.OK, ""
        fields += ["token_encrypted", "token_last4", "portal_id", "status", "last_error"]
    with transaction.atomic():
        connection.save(update_fields=fields)
        if token is not None:
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
            return adapter.account_check(session)
    except BudgetExhausted as exhausted:
        raise ValidationError(
            {"non_field_errors": [f"This connection's request budget is used up; try again in {exhausted.wait:.0f} s."]}
        ) from None
    except CrmError as error:
        if error.refusal == Refusal.AUTH:
            raise ValidationError({"access_token": [error.message]}) from None
        if error.refusal == Refusal.UNAVAILABLE:
            raise ValidationError(
                {
                    "base_url": [
                        f"Could not reach {adapter.label} at {connection.base_url}: {error.message} Check base_url."
                    ]
                }
            ) from None
        raise ValidationError(
            {"non_field_errors": [f"{adapter.label} did not accept the check: {error.message}"]}
        ) from None
