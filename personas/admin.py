from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from personas.models import CachedPersona
from personas.services import persona_pools_purge


@admin.register(CachedPersona)
class CachedPersonaAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "theme",
        "industry",
        "source",
        "model",
        "kind",
        "persona_count",
        "hits",
        "misses",
        "generation_calls",
        "updated_at",
    ]
    list_filter = ["source", "kind"]
    search_fields = ["theme", "industry", "cache_key"]
    readonly_fields = [
        "theme",
        "industry",
        "cache_key",
        "source",
        "model",
        "kind",
        "persona_data",
        "hits",
        "misses",
        "generation_calls",
        "prompt_tokens",
        "completion_tokens",
        "created_at",
        "updated_at",
    ]
    actions = ["purge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="personas")
    def persona_count(self, persona: CachedPersona) -> int:
        return len(persona.entries)

    @admin.action(description="Purge selected cached personas")
    def purge(self, request: HttpRequest, queryset: QuerySet[CachedPersona]) -> None:
        deleted = persona_pools_purge(pool_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Purged {deleted} cached persona pool(s).")
