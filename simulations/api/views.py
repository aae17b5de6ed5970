import json
from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from jobs.api import JobSerializer
from jobs.services import scheduled_jobs_retry_failed
from simulations import lifecycle, selectors, services
from simulations.api.serializers import (
    CompanySerializer,
    ContactSerializer,
    DealSerializer,
    ExportQuerySerializer,
    FunnelSerializer,
    PreviewSerializer,
    RecordEventSerializer,
    SimulationCreateSerializer,
    SimulationScheduleSerializer,
    SimulationSerializer,
    SimulationUpdateSerializer,
)
from simulations.api.throttles import SimulationCreateThrottle
from simulations.models import Simulation
from simulations.preview import simulation_preview, simulation_schedule
from simulations.records import export_rows, simulation_funnel


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

    @extend_schema(responses=ContactSerializer(many=True))
    @action(detail=True, methods=["get"])
    def contacts(self, request: Request, pk: str) -> Response:
        contacts = self.get_object().contacts.order_by("occurred_at", "id")
        page = self.paginate_queryset(contacts)
        return self.get_paginated_response(ContactSerializer(page, many=True).data)

    @extend_schema(responses=CompanySerializer(many=True))
    @action(detail=True, methods=["get"])
    def companies(self, request: Request, pk: str) -> Response:
        companies = self.get_object().companies.order_by("occurred_at", "id")
        page = self.paginate_queryset(companies)
        return self.get_paginated_response(CompanySerializer(page, many=True).data)

    @extend_schema(responses=DealSerializer(many=True))
    @action(detail=True, methods=["get"])
    def deals(self, request: Request, pk: str) -> Response:
        deals = self.get_object().deals.order_by("occurred_at", "id")
        page = self.paginate_queryset(deals)
        return self.get_paginated_response(DealSerializer(page, many=True).data)

    @extend_schema(responses=RecordEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        """Every stage its records took, in the order they happened."""
        events = self.get_object().events.order_by("occurred_at", "id")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(RecordEventSerializer(page, many=True).data)

    @extend_schema(responses=FunnelSerializer)
    @action(detail=True, methods=["get"])
    def funnel(self, request: Request, pk: str) -> Response:
        """Contacts per lifecycle stage, deals per deal stage, and the pipeline amount per deal stage."""
        return Response(FunnelSerializer(simulation_funnel(simulation=self.get_object())).data)

    @extend_schema(
        parameters=[OpenApiParameter("object", str, enum=["contacts", "companies", "deals"], required=True)],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per record, streamed.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def export(self, request: Request, pk: str) -> StreamingHttpResponse:
        """Its contacts, companies or deals as CSV, with HubSpot property names as the header."""
        simulation = self.get_object()
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        name = query.validated_data["object"]
        response = StreamingHttpResponse(
            export_rows(simulation=simulation, object_name=name), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="simulation-{simulation.pk}-{name}.csv"'
        return response
