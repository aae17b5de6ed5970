import json
from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from personas.models import CachedPersona, PoolKind
from personas.services import persona_pools_purge


@admin.register(CachedPersona)
class CachedPersonaAdmin(admin.ModelAdmin):
    """One pool per theme and industry, provider and kind (contacts or companies).

    There is one way to remove a pool, purging (persona_pools_purge): Django's own "Delete selected"
    would skip the purge's generation bump, so an offline pool would come back person for person.
    """

    list_display = [
        "id",
        "theme",
        "industry",
        "source",
        "model",
        "kind",
        "entry_count",
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
        "size",
        "listed_entries",
        "hits",
        "misses",
        "generation_calls",
        "prompt_tokens",
        "completion_tokens",
        "created_at",
        "updated_at",
    ]
    # The entries are rows: listed_entries shows them as persona_data held them.
    exclude = ["persona_data"]
    actions = ["purge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="persona data")
    def listed_entries(self, pool: CachedPersona) -> str:
        return json.dumps(pool.listed_data, ensure_ascii=False, indent=1)

    def get_deleted_objects(
        self, objs: Sequence[CachedPersona] | QuerySet[CachedPersona], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        # Django would list every entry of the pool on the confirmation page: a pool can hold a million.
        pools = list(objs)
        summary = [f"{pool} and its {self.entry_count(pool)}" for pool in pools]
        return summary, {"pools": len(pools)}, set(), []

    @admin.display(description="entries")
    def entry_count(self, pool: CachedPersona) -> str:
        count = pool.size
        if pool.kind == PoolKind.COMPANY:
            return f"{count} {'company' if count == 1 else 'companies'}"
        if pool.kind == PoolKind.TEXTS:
            return f"templates of {count} {'moment' if count == 1 else 'moments'}"
        return f"{count} {'contact' if count == 1 else 'contacts'}"

    @admin.action(
        description="Purge selected pools (delete them; the next run of their theme and industry writes new ones)"
    )
    def purge(self, request: HttpRequest, queryset: QuerySet[CachedPersona]) -> None:
        deleted = persona_pools_purge(pool_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            f"Purged {deleted} pool(s): the next job of each theme and industry generates new personas. "
            "Records already made keep theirs; a replay of an OpenAI run made before the purge no longer makes "
            "the same people.",
        )

    def delete_model(self, request: HttpRequest, obj: CachedPersona) -> None:
        # The change page's Delete button purges too.
        persona_pools_purge(pool_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CachedPersona]) -> None:
        persona_pools_purge(pool_ids=list(queryset.values_list("pk", flat=True)))
