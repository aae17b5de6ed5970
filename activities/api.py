"""GET /api/simulations/{id}/activities/: every activity of a simulation, all five kinds, in timeline order.

The page is chosen on a union of the five tables' (occurred_at, id, kind) rows, then each row is read
from its own table and shown with its kind's serializer and a `kind` field.
"""

from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import CharField, Count, QuerySet, Value
from django.db.models.functions import TruncWeek
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from activities.kinds import activity_kinds
from core.fields import StrictChoiceField
from simulations import selectors
from simulations.kinds import RecordKind


class ActivityQuerySerializer(serializers.Serializer):
    kind = StrictChoiceField(choices=[], required=False, help_text="Only activities of this kind.")
    # Query strings are text: these read digits.
    contact = serializers.IntegerField(min_value=1, required=False, help_text="Only this contact's (its id).")
    deal = serializers.IntegerField(min_value=1, required=False, help_text="Only this deal's (its id).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [kind.name for kind in activity_kinds()]  # type: ignore[attr-defined]


class ActivityListView(generics.ListAPIView):
    """Every activity of a simulation the caller may see, in timeline order, each with its `kind`."""

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=[kind.name for kind in activity_kinds()]),
            OpenApiParameter("contact", int),
            OpenApiParameter("deal", int),
        ],
        responses=PolymorphicProxySerializer(
            component_name="Activity",
            serializers={kind.name: kind.serializer for kind in activity_kinds() if kind.serializer is not None},
            resource_type_field_name="kind",
            many=True,
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        simulation = get_object_or_404(selectors.simulation_list(user=request.user), pk=pk)
        query = ActivityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chosen = [kind for kind in activity_kinds() if query.validated_data.get("kind", kind.name) == kind.name]
        filters = {name: query.validated_data[name] for name in ("contact", "deal") if name in query.validated_data}
        rows = _timeline_rows(chosen, simulation_id=simulation.pk, filters=filters)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(_present(page or []))


class ActivityWeekSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The week's Monday, 00:00 in the simulation's zone.")
    emails = serializers.IntegerField()
    calls = serializers.IntegerField()
    meetings = serializers.IntegerField()
    notes = serializers.IntegerField()
    tasks = serializers.IntegerField()


class ActivityWeeksSerializer(serializers.Serializer):
    timezone = serializers.CharField()
    weeks = ActivityWeekSerializer(many=True)


class ActivityWeeksView(generics.GenericAPIView):
    """A simulation's activities per week of its time zone and per kind, the weeks without any left out."""

    @extend_schema(responses=ActivityWeeksSerializer)
    def get(self, request: Request, pk: int) -> Response:
        simulation = get_object_or_404(selectors.simulation_list(user=request.user), pk=pk)
        zone = ZoneInfo(simulation.timezone or "UTC")
        weeks: dict[Any, dict[str, Any]] = {}
        for kind in activity_kinds():
            rows = (
                kind.model._default_manager.filter(simulation_id=simulation.pk)
                .annotate(week=TruncWeek("occurred_at", tzinfo=zone))
                .order_by()
                .values("week")
                .annotate(n=Count("id"))
            )
            for row in rows:
                week = weeks.setdefault(row["week"], {"start": row["week"], **{k.name: 0 for k in activity_kinds()}})
                week[kind.name] = row["n"]
        answer = {"timezone": zone.key, "weeks": [weeks[start] for start in sorted(weeks)]}
        return Response(ActivityWeeksSerializer(answer).data)


def _timeline_rows(kinds: list[RecordKind], *, simulation_id: int, filters: dict[str, int]) -> QuerySet[Any]:
    parts = [
        kind.model._default_manager.filter(simulation_id=simulation_id, **filters)
        .annotate(kind=Value(kind.name, output_field=CharField()))
        .order_by()
        .values_list("occurred_at", "id", "kind")
        for kind in kinds
    ]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return rows.order_by("occurred_at", "id", "kind")


def _present(rows: list[tuple[Any, int, str]]) -> list[dict[str, Any]]:
    by_kind: dict[str, list[int]] = {}
    for _, record_id, name in rows:
        by_kind.setdefault(name, []).append(record_id)
    shown: dict[tuple[str, int], dict[str, Any]] = {}
    for kind in activity_kinds():
        ids = by_kind.get(kind.name)
        if not ids or kind.serializer is None:
            continue
        for record in kind.model._default_manager.filter(pk__in=ids):
            shown[kind.name, record.pk] = kind.serializer(record).data
    return [shown[name, record_id] for _, record_id, name in rows if (name, record_id) in shown]
