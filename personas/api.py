from django.db.models import QuerySet
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from personas.models import CachedPersona
from personas.services import persona_pools_purge
from personas.validation import COMPANY_STRING_PROPERTIES, PERSONA_PROPERTIES


class PersonaSerializer(serializers.Serializer):
    """One cached persona: the contact fields a provider wrote."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: serializers.CharField(read_only=True) for name in PERSONA_PROPERTIES}


class CachedCompanySerializer(serializers.Serializer):
    """One cached company: the company fields a provider wrote."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = {
            name: serializers.CharField(read_only=True) for name in COMPANY_STRING_PROPERTIES
        }
        fields["employees"] = serializers.IntegerField(read_only=True)
        return fields


class PersonaDataSerializer(serializers.Serializer):
    # A pool holds one of the lists, as its kind says; the others are shown empty.
    personas = PersonaSerializer(many=True, read_only=True, default=list)
    companies = CachedCompanySerializer(many=True, read_only=True, default=list)
    texts = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        default=list,
        help_text="An activity text pool's templates, one entry per moment of the funnel's story.",
    )


class CachedPersonaSerializer(serializers.ModelSerializer):
    # The entries are rows now; the answer keeps the shape persona_data had.
    persona_data = PersonaDataSerializer(source="listed_data", read_only=True)
    persona_count = serializers.SerializerMethodField()

    class Meta:
        model = CachedPersona
        fields = [
            "id",
            "theme",
            "industry",
            "cache_key",
            "source",
            "kind",
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
        return persona.size


class CachedPersonaViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = CachedPersonaSerializer
    permission_classes = [IsAdminUser]

    def get_queryset(self) -> QuerySet[CachedPersona]:
        return CachedPersona.objects.order_by("-updated_at", "-id").prefetch_related("pool_entries")

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        persona_pools_purge(pool_ids=[self.get_object().pk])
        return Response(status=status.HTTP_204_NO_CONTENT)
