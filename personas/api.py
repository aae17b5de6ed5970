from django.db.models import QuerySet
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from personas.models import CachedPersona
from personas.services import persona_pools_purge
from personas.validation import PERSONA_PROPERTIES


class PersonaSerializer(serializers.Serializer):
    """One cached persona: the contact fields a provider wrote."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: serializers.CharField(read_only=True) for name in PERSONA_PROPERTIES}


class PersonaDataSerializer(serializers.Serializer):
    personas = PersonaSerializer(many=True, read_only=True)


class CachedPersonaSerializer(serializers.ModelSerializer):
    persona_data = PersonaDataSerializer(read_only=True)
    persona_count = serializers.SerializerMethodField()

    class Meta:
        model = CachedPersona
        fields = [
            "id",
            "theme",
            "industry",
            "cache_key",
            "source",
            "persona_data",
            "persona_count",
            "hits",
            "misses",
            "generation_calls",
            "prompt_tokens",
            "completion_tokens",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_persona_count(self, persona: CachedPersona) -> int:
        return len(persona.personas)


class CachedPersonaViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = CachedPersonaSerializer
    permission_classes = [IsAdminUser]

    def get_queryset(self) -> QuerySet[CachedPersona]:
        return CachedPersona.objects.order_by("-updated_at", "-id")

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        persona_pools_purge(pool_ids=[self.get_object().pk])
        return Response(status=status.HTTP_204_NO_CONTENT)
