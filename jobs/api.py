from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jobs.models import ScheduledJob
from jobs.selectors import job_list
from jobs.services import scheduled_job_retry


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduledJob
        fields = [
            "id",
            "simulation",
            "job_type",
            "payload",
            "scheduled_for",
            "status",
            "result",
            "attempts",
            "last_error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer

    def get_queryset(self) -> QuerySet[ScheduledJob]:
        return job_list(user=self.request.user)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        return Response(JobSerializer(scheduled_job_retry(job=self.get_object())).data)
