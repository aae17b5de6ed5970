import json
from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from jobs.api import JobSerializer
from jobs.services import scheduled_jobs_retry_failed
from simulations import lifecycle, selectors, services
from simulations.api.serializers import (
    OUTCOMES,
    ExportQuerySerializer,
    FunnelSerializer,
    PreviewSerializer,
    SimulationCreateSerializer,
    SimulationScheduleSerializer,
    SimulationSerializer,
    SimulationUpdateSerializer,
)
from simulations.api.throttles import SimulationCreateThrottle
from simulations.exports import export_rows
from simulations.kinds import RecordKind, exported_kinds, names, record_kind
from simulations.models import Simulation
from simulations.outcomes import outcome_rows
from simulations.preview import simulation_preview, simulation_schedule
from simulations.selectors import simulation_funnel


class CSVRenderer(BaseRenderer):
    """Lets a client ask for text/csv; the export streams its own body, so only errors come through here."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode()


class SimulationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Simulations; PATCH renames, DELETE removes one from SimCRM with its jobs and records."""

    serializer_class = SimulationSerializer

    def get_queryset(self) -> QuerySet[Simulation]:
        return selectors.simulation_list(user=self.request.user)

    def get_throttles(self) -> list[Any]:
        return [SimulationCreateThrottle()] if self.action == "create" else super().get_throttles()

    @extend_schema(request=SimulationCreateSerializer, responses={201: SimulationSerializer})
    def create(self, request: Request) -> Response:
        data = SimulationCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        # IsAuthenticated has already turned anonymous callers away.
        owner = cast(User, request.user)
        simulation = services.simulation_create(owner=owner, **data.validated_data)
        return Response(self._present(simulation), status=status.HTTP_201_CREATED)

    @extend_schema(request=SimulationCreateSerializer, responses=PreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """What creating with this body would schedule, and its persona bill; creates nothing."""
        data = SimulationCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        return Response(PreviewSerializer(simulation_preview(**data.validated_data)).data)

    @extend_schema(responses=SimulationScheduleSerializer)
    @action(detail=True, methods=["get"])
    def schedule(self, request: Request, pk: str) -> Response:
        """The schedule this simulation runs on, per hour, day or week of its time zone."""
        return Response(SimulationScheduleSerializer(simulation_schedule(self.get_object())).data)

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

    @extend_schema(responses=FunnelSerializer)
    @action(detail=True, methods=["get"])
    def funnel(self, request: Request, pk: str) -> Response:
        """Contacts per lifecycle stage, deals per deal stage, and the pipeline amount per deal stage."""
        return Response(FunnelSerializer(simulation_funnel(simulation=self.get_object())).data)

    @extend_schema(
        parameters=[OpenApiParameter("object", str, enum=[*names(exported_kinds()), OUTCOMES], required=True)],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per record, streamed.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def export(self, request: Request, pk: str) -> StreamingHttpResponse:
        """Its records of one kind (contacts, companies, deals...) as CSV, the CRM's property names as the header;
        or its answer key (outcomes): what its timeline plans for every contact and deal by the window's end."""
        simulation = self.get_object()
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        name = query.validated_data["object"]
        if name == OUTCOMES and not simulation.is_planned:
            raise ValidationError(
                {
                    "object": [
                        "The original schedule has no funnel (its 5 contacts stay leads): "
                        "the answer key (outcomes) is a planned run's."
                    ]
                }
            )
        lines = (
            outcome_rows(simulation=simulation)
            if name == OUTCOMES
            else export_rows(simulation=simulation, kind=record_kind(name))
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="simulation-{simulation.pk}-{name}.csv"'
        return response


class RecordListView(generics.ListAPIView):
    """One kind's records of a simulation the caller may see, in timeline order (a route per kind: urls.py)."""

    kind: RecordKind

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        assert self.kind.serializer is not None
        return self.kind.serializer

    def get_queryset(self) -> QuerySet[Model]:
        simulation = get_object_or_404(selectors.simulation_list(user=self.request.user), pk=self.kwargs["pk"])
        return self.kind.model._default_manager.filter(simulation=simulation).order_by("occurred_at", "id")


def record_list_view(kind: RecordKind) -> Any:
    """The list view of one kind: a class of its own, so the schema documents each kind as its own operation."""
    view: type[RecordListView] = type(
        f"{kind.name.title()}ListView", (RecordListView,), {"kind": kind, "__doc__": kind.list_doc}
    )
    return view.as_view()
