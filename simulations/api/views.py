from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jobs.api import JobSerializer
from jobs.services import scheduled_jobs_retry_failed
from simulations import lifecycle, selectors, services
from simulations.api.serializers import (
    ContactSerializer,
    PreviewScheduleSerializer,
    PreviewSerializer,
    SimulationCreateSerializer,
    SimulationSerializer,
    SimulationUpdateSerializer,
)
from simulations.api.throttles import SimulationCreateThrottle
from simulations.models import Simulation
from simulations.preview import simulation_preview, simulation_schedule


class SimulationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Simulations; PATCH renames, DELETE removes one from SimCRM with its jobs and records."""

    serializer_class = SimulationSerializer

    def get_queryset(self) -> QuerySet[Simulation]:
        return selectors.simulation_list(user=self.request.user)

    def get_throttles(self) -> list[Any]:
        return [SimulationCreateThrottle()] if self.action == "create" else super().get_throttles()

    @extend_schema(request=SimulationCreateSerializer, responses={201: SimulationSerializer})
    def create(self, request: Request) -> Response:
        data = SimulationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # IsAuthenticated has already turned anonymous callers away.
        owner = cast(User, request.user)
        simulation = services.simulation_create(owner=owner, **data.validated_data)
        return Response(self._present(simulation), status=status.HTTP_201_CREATED)

    @extend_schema(request=SimulationCreateSerializer, responses=PreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What creating with this body would schedule, and its persona bill; creates nothing."""
        data = SimulationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PreviewSerializer(simulation_preview(**data.validated_data)).data)

    @extend_schema(responses=PreviewScheduleSerializer)
    @action(detail=True, methods=["get"])
    def schedule(self, request: Request, pk: str) -> Response:
        """The schedule this simulation runs on, in equal buckets, as the preview shows it."""
        return Response(PreviewScheduleSerializer(simulation_schedule(self.get_object())).data)

    @extend_schema(request=None, responses={201: SimulationSerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str) -> Response:
        """A new simulation with the same settings, window and seed."""
        owner = cast(User, request.user)
        replayed = services.simulation_replay(simulation=self.get_object(), owner=owner)
        return Response(self._present(replayed), status=status.HTTP_201_CREATED)

    @extend_schema(request=SimulationUpdateSerializer, responses=SimulationSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        data = SimulationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(self._present(services.simulation_rename(simulation=self.get_object(), **data.validated_data)))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.simulation_delete(simulation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _present(self, simulation: Simulation) -> dict[str, Any]:
        return SimulationSerializer(self.get_queryset().get(pk=simulation.pk)).data

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        return Response(self._present(lifecycle.simulation_pause(simulation=self.get_object())))

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return Response(self._present(lifecycle.simulation_resume(simulation=self.get_object())))

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return Response(self._present(lifecycle.simulation_cancel(simulation=self.get_object())))

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request: Request, pk: str) -> Response:
        simulation = self.get_object()
        scheduled_jobs_retry_failed(simulation_id=simulation.pk)
        return Response(self._present(simulation))

    @extend_schema(responses=JobSerializer(many=True))
    @action(detail=True, methods=["get"])
    def jobs(self, request: Request, pk: str) -> Response:
        jobs = self.get_object().jobs.order_by("scheduled_for", "id")
        page = self.paginate_queryset(jobs)
        return self.get_paginated_response(JobSerializer(page, many=True).data)

    @extend_schema(responses=ContactSerializer(many=True))
    @action(detail=True, methods=["get"])
    def contacts(self, request: Request, pk: str) -> Response:
        contacts = self.get_object().contacts.order_by("occurred_at", "id")
        page = self.paginate_queryset(contacts)
        return self.get_paginated_response(ContactSerializer(page, many=True).data)
