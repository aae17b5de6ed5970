"""GET /api/status/: is a worker running, and does the persona provider work? Each with what to do."""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.heartbeat import ALIVE_SECONDS, worker_alive, worker_last_seen
from personas.health import PROBLEMS, persona_provider_status

StatusSerializer = inline_serializer(
    "Status",
    fields={
        "worker": inline_serializer(
            "WorkerStatus",
            fields={
                "alive": serializers.BooleanField(),
                "last_seen_at": serializers.DateTimeField(allow_null=True),
                "detail": serializers.CharField(),
            },
        ),
        "persona_provider": inline_serializer(
            "PersonaProviderStatus",
            fields={
                "provider": serializers.CharField(),
                "model": serializers.CharField(allow_null=True),
                "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
                "detail": serializers.CharField(),
                "problem": serializers.ChoiceField(
                    choices=list(PROBLEMS),
                    allow_null=True,
                    help_text="null when ok; unreachable (the network or OPENAI_BASE_URL), key, model, settings "
                    "or temporary: what to fix.",
                ),
            },
        ),
    },
)


def system_status() -> dict[str, Any]:
    last_seen = worker_last_seen()
    alive = worker_alive(last_seen)
    detail = (
        "A worker is running."
        if alive
        else f"No worker has been seen for {ALIVE_SECONDS:.0f} s: jobs wait until one runs. "
        "Start one with `python manage.py qcluster`."
    )
    return {
        "worker": {"alive": alive, "last_seen_at": last_seen, "detail": detail},
        "persona_provider": persona_provider_status().as_dict(),
    }


class StatusView(APIView):
    @extend_schema(responses=StatusSerializer)
    def get(self, request: Request) -> Response:
        return Response(system_status())
