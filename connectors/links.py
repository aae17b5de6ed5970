"""The link from a simulation to its connection, as simulations sees it (simulations.delivery.ConnectionLinks)."""

from django.db.models import OuterRef, Subquery
from django.db.models.expressions import BaseExpression

from connectors.models import Connection, SimulationConnection


class SimulationConnections:
    def usable(self, connection_id: int, owner_id: int) -> bool:
        return Connection.objects.filter(pk=connection_id, owner_id=owner_id).exists()

    def connect(self, simulation_id: int, connection_id: int) -> None:
        SimulationConnection.objects.create(simulation_id=simulation_id, connection_id=connection_id)

    def connection_of(self) -> BaseExpression:
        links = SimulationConnection.objects.filter(simulation_id=OuterRef("pk"))
        return Subquery(links.values("connection_id")[:1])
