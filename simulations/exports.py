"""A simulation's records of one kind as CSV, with the CRM's property names as the header (simulations.kinds)."""

from collections.abc import Iterator
from datetime import datetime

from core.csv_export import csv_lines
from simulations.kinds import RecordKind, exported_fields
from simulations.models import Simulation


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def export_rows(*, simulation: Simulation, kind: RecordKind) -> Iterator[str]:
    """The CSV lines of one kind of record, header first, read from the database in chunks.

    Record text is a model's or a user's: core.csv_export keeps it from reaching a spreadsheet as a formula.
    """
    records = kind.model._default_manager.filter(simulation=simulation).select_related(*kind.export_related)
    fields = exported_fields(kind)
    return csv_lines(
        header=[field.name for field in fields],
        rows=(
            [_cell(field.value(record)) for field in fields]
            for record in records.order_by("occurred_at", "id").iterator(chunk_size=2_000)
        ),
        phone_columns={field.name for field in fields if field.phone},
    )
