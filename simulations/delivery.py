"""The outbox's door: records created or changed are handed, inside the transaction that changed
them, to whatever delivers them (the connectors app registers itself), so a delivery is queued
exactly when its change commits."""

from collections.abc import Callable
from dataclasses import dataclass

from simulations.models import DeliveredRecord

RecordsChanged = Callable[[type[DeliveredRecord], list[int]], None]


@dataclass(frozen=True)
class DeliveryVolume:
    """What a run would deliver: records to create, and stage changes to send as updates."""

    contacts: int
    companies: int
    deals: int
    contact_updates: int
    deal_updates: int


# (connection id, volume) -> (requests, seconds the connection's limit implies)
DeliveryForecast = Callable[[int, DeliveryVolume], tuple[int, float]]

# (connection id, owner id) -> whether that user may deliver to that connection
ConnectionCheck = Callable[[int, int], bool]

_hooks: list[RecordsChanged] = []
_forecasts: list[DeliveryForecast] = []
_connection_checks: list[ConnectionCheck] = []


def connection_check_register(check: ConnectionCheck) -> None:
    _connection_checks[:] = [check]


def connection_is_usable(*, connection_id: int, owner_id: int | None) -> bool:
    """Whether this user may deliver to this connection; none is, when no connectors app registered a check."""
    if owner_id is None or not _connection_checks:
        return False
    return _connection_checks[0](connection_id, owner_id)


def delivery_forecast_register(forecast: DeliveryForecast) -> None:
    _forecasts[:] = [forecast]


def delivery_forecast(connection_id: int | None, volume: DeliveryVolume) -> tuple[int, float]:
    """The requests and time a delivery of `volume` would take; (0, 0) without a connection."""
    if connection_id is None or not _forecasts:
        return 0, 0.0
    return _forecasts[0](connection_id, volume)


def delivery_hook_register(hook: RecordsChanged) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def records_changed(model: type[DeliveredRecord], ids: list[int]) -> None:
    """Call inside the transaction that created or changed these records."""
    if not ids:
        return
    for hook in _hooks:
        hook(model, ids)
