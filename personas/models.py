from typing import Any

from django.db import models


class PersonaSource(models.TextChoices):
    OPENAI = "openai", "OpenAI"
    OFFLINE = "offline", "Offline"


class PoolKind(models.TextChoices):
    CONTACT = "contact", "Contacts"
    COMPANY = "company", "Companies"
    TEXTS = "texts", "Activity texts"  # one entry per moment of the funnel's story: its templates


# The key of persona_data (and of the API's answer) that names a pool's entries.
POOL_DATA_KEYS: dict[str, str] = {PoolKind.CONTACT: "personas", PoolKind.COMPANY: "companies", PoolKind.TEXTS: "texts"}


class CachedPersona(models.Model):
    """A pool of contact or company personas for one (theme, industry) key, shared by every simulation of that key."""

    theme = models.CharField(max_length=255)
    industry = models.CharField(max_length=255)
    cache_key = models.CharField(max_length=600, help_text="Trimmed, case-folded theme and industry.")
    source = models.CharField(max_length=16, choices=PersonaSource.choices)
    kind = models.CharField(max_length=16, choices=PoolKind.choices, default=PoolKind.CONTACT)
    persona_data = models.JSONField(
        default=dict,
        help_text='{"personas": []} or {"companies": []}: the entries themselves are PersonaPoolEntry rows.',
    )
    size = models.PositiveIntegerField(default=0, help_text="Entries in the pool (positions 0 to size - 1).")
    model = models.CharField(
        max_length=100, blank=True, default="", help_text="The OpenAI model that last grew the pool (blank offline)."
    )
    hits = models.PositiveIntegerField(default=0, help_text="Jobs served from this pool.")
    misses = models.PositiveIntegerField(default=0, help_text="Jobs that had to generate personas.")
    generation_calls = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "cached_personas"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cache_key", "source", "kind"], name="cached_persona_key_kind_unique"),
        ]

    def __str__(self) -> str:
        kind = "" if self.kind == PoolKind.CONTACT else f", {self.kind}"
        return f"{self.theme} / {self.industry} ({self.source}{kind})"

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The pool's contacts or companies in position order (one query unless prefetched)."""
        return [entry.data for entry in self.pool_entries.all()]

    @property
    def personas(self) -> list[dict[str, Any]]:
        return self.entries if self.kind == PoolKind.CONTACT else []

    @property
    def listed_data(self) -> dict[str, list[dict[str, Any]]]:
        """The entries under the pool's data key, as persona_data held them before pools were rows."""
        return {POOL_DATA_KEYS[self.kind]: self.entries}


class PersonaPoolEntry(models.Model):
    """One contact or company of a pool, at its position: a planned record reads the entry at its position."""

    pool = models.ForeignKey(CachedPersona, on_delete=models.CASCADE, related_name="pool_entries")
    position = models.PositiveIntegerField()
    data = models.JSONField(help_text="Contact fields or company fields, as the pool's kind says.")
    # A new batch is checked against these, so an append reads only the entries it collides with.
    name_key = models.TextField(blank=True, default="", help_text="Case-folded name (person or company).")
    address_key = models.TextField(blank=True, default="", help_text="Lower-cased email, or a company's domain.")

    class Meta:
        db_table = "persona_pool_entries"
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "position"], name="persona_pool_entry_position_unique"),
        ]
        indexes = [
            models.Index(fields=["pool", "name_key"], name="persona_pool_entry_name"),
            models.Index(fields=["pool", "address_key"], name="persona_pool_entry_address"),
        ]

    def __str__(self) -> str:
        return f"pool {self.pool_id} #{self.position}"


class PersonaPoolGeneration(models.Model):
    """How many times a (theme, industry) pool was purged; it seeds the offline provider, so a purge regenerates."""

    cache_key = models.CharField(max_length=600)
    source = models.CharField(max_length=16, choices=PersonaSource.choices)
    generation = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "persona_pool_generations"
        constraints = [
            models.UniqueConstraint(fields=["cache_key", "source"], name="persona_pool_generation_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.cache_key!r} ({self.source}): generation {self.generation}"
