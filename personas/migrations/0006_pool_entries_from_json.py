"""Move each pool's entries out of persona_data into PersonaPoolEntry rows, each at its index in the list.

A planned record reads the entry at a seeded position, so a replay of a run made before this migration
reads the same entries only if every entry keeps its index, invalid ones included.
"""

from typing import Any

from django.db import migrations

DATA_KEYS = {"contact": "personas", "company": "companies"}
BATCH = 2000


# Frozen copies of personas.validation's keys as they were when this migration was written.
def _keys(kind: str, entry: Any) -> tuple[str, str]:
    if not isinstance(entry, dict):
        return "", ""
    if kind == "company":
        return " ".join(str(entry.get("name", "")).split()).casefold(), str(entry.get("domain", "")).strip().lower()
    name = " ".join(f"{entry.get('firstname', '')} {entry.get('lastname', '')}".split()).casefold()
    return name, str(entry.get("email", "")).strip().lower()


def entries_to_rows(apps: Any, schema_editor: Any) -> None:
    CachedPersona = apps.get_model("personas", "CachedPersona")
    PersonaPoolEntry = apps.get_model("personas", "PersonaPoolEntry")
    for pool in CachedPersona.objects.order_by("id").iterator(chunk_size=1):
        data_key = DATA_KEYS.get(pool.kind, "personas")
        data = pool.persona_data if isinstance(pool.persona_data, dict) else {}
        entries = data.get(data_key) or []
        rows = []
        for position, entry in enumerate(entries):
            name_key, address_key = _keys(pool.kind, entry)
            rows.append(
                PersonaPoolEntry(pool=pool, position=position, data=entry, name_key=name_key, address_key=address_key)
            )
        PersonaPoolEntry.objects.bulk_create(rows, batch_size=BATCH)
        CachedPersona.objects.filter(pk=pool.pk).update(persona_data={data_key: []}, size=len(entries))


def rows_to_entries(apps: Any, schema_editor: Any) -> None:
    CachedPersona = apps.get_model("personas", "CachedPersona")
    PersonaPoolEntry = apps.get_model("personas", "PersonaPoolEntry")
    for pool in CachedPersona.objects.order_by("id").iterator(chunk_size=1):
        entries = list(PersonaPoolEntry.objects.filter(pool=pool).order_by("position").values_list("data", flat=True))
        data_key = DATA_KEYS.get(pool.kind, "personas")
        CachedPersona.objects.filter(pk=pool.pk).update(persona_data={data_key: entries}, size=0)
        PersonaPoolEntry.objects.filter(pool=pool).delete()


class Migration(migrations.Migration):
    dependencies = [("personas", "0005_pool_entries")]

    operations = [migrations.RunPython(entries_to_rows, rows_to_entries)]
