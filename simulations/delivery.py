"""The outbox's door: records created or changed are handed, inside the transaction that changed
them, to whatever delivers them (the connectors app registers itself), so a delivery is queued
exactly when its change commits."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import IntegerField, Model, Value
from django.db.models.expressions import BaseExpression

from simulations.models import Simulation

RecordsChanged = Callable[[type[Model], list[int]], None]


@dataclass(frozen=True)
class DeliveryVolume:
    """What a run would deliver, by record kind: records to create, stage changes to send as updates, and
    associations to make by (kind, the kind it is associated with)."""

    creates: Mapping[str, int]
    updates: Mapping[str, int]
    associations: Mapping[tuple[str, str], int]


@dataclass(frozen=True)
class DeliveryEstimate:
    """What delivering a volume would ask of a connection."""

    requests: int = 0
    seconds: float = 0.0  # the time the connection's limits imply for them
    day_use: float | None = None  # their share of what the connection may send in a day, where it has a limit
    warning: str = ""  # what the user should know before the run: more requests than a day allows


# (connection id, volume) -> its estimate
DeliveryForecast = Callable[[int, DeliveryVolume], DeliveryEstimate]


class ConnectionLinks(Protocol):
    """What the app that owns connections tells simulations about them (connectors registers one)."""

    def usable(self, connection_id: int, owner_id: int) -> bool:
        """Whether that user may deliver to that connection."""
        ...

    def connect(self, simulation_id: int, connection_id: int) -> None:
        """Deliver the simulation's records to the connection from now on."""
        ...

    def connection_of(self) -> BaseExpression:
        """A simulation's connection id (null without one), to annotate Simulation rows with."""
        ...


_hooks: list[RecordsChanged] = []
_forecasts: list[DeliveryForecast] = []
_links: list[ConnectionLinks] = []


def connection_links_register(links: ConnectionLinks) -> None:
    _links[:] = [links]


def connection_is_usable(*, connection_id: int, owner_id: int | None) -> bool:
    """Whether this user may deliver to this connection; none is, when no app registered connection links."""
    if owner_id is None or not _links:
        return False
    return _links[0].usable(connection_id, owner_id)


def simulation_connect(*, simulation_id: int, connection_id: int) -> None:
    if not _links:
        raise ImproperlyConfigured("No app that owns connections is installed: a simulation cannot have one.")
    _links[0].connect(simulation_id, connection_id)


def connection_of_simulation() -> BaseExpression:
    """Annotates Simulation rows with their connection id (null without one)."""
    if not _links:
        return Value(None, output_field=IntegerField())
    return _links[0].connection_of()


def connection_id_of(*, simulation_id: int) -> int | None:
    connection_ids = Simulation.objects.filter(pk=simulation_id).annotate(connection_ref=connection_of_simulation())
    return connection_ids.values_list("connection_ref", flat=True).first()


def delivery_forecast_register(forecast: DeliveryForecast) -> None:
    _forecasts[:] = [forecast]


def delivery_forecast(connection_id: int | None, volume: DeliveryVolume) -> DeliveryEstimate:
    """The requests and time a delivery of `volume` would take; none without a connection."""
    if connection_id is None or not _forecasts:
        return DeliveryEstimate()
    return _forecasts[0](connection_id, volume)


def delivery_hook_register(hook: RecordsChanged) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def records_changed(model: type[Model], ids: list[int]) -> None:
    """Call inside the transaction that created or changed these records."""
    if not ids:
        return
    for hook in _hooks:
        hook(model, ids)


# (record kind, record ids) -> the id each carries into a CRM (connectors registers the one it writes there).
SimcrmIds = Callable[[str, list[int]], dict[int, str]]
_simcrm_ids: list[SimcrmIds] = []


def simcrm_ids_register(simcrm_ids: SimcrmIds) -> None:
    _simcrm_ids[:] = [simcrm_ids]


def simcrm_ids_of(kind: str, ids: list[int]) -> dict[int, str]:
    """Each record's simcrm_id, the id a CRM knows it by; none when no app delivers records."""
    return _simcrm_ids[0](kind, ids) if _simcrm_ids and ids else {}
