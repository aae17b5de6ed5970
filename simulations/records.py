"""Reading a simulation's CRM: the funnel's counts and the CSV export with HubSpot's property names."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from core.csv_export import csv_lines
from simulations.models import Company, Contact, Deal, DealStage, LifecycleStage, Simulation


def simulation_funnel(*, simulation: Simulation) -> dict[str, dict[str, Any]]:
    """Contacts per lifecycle stage, deals per deal stage and the amount at each: every stage named, zeros included."""
    lifecycle = dict.fromkeys(LifecycleStage.values, 0)
    for row in simulation.contacts.order_by().values("lifecyclestage").annotate(n=Count("id")):
        lifecycle[row["lifecyclestage"]] = row["n"]
    deals = dict.fromkeys(DealStage.values, 0)
    amounts = dict.fromkeys(DealStage.values, Decimal("0.00"))
    for row in simulation.deals.order_by().values("dealstage").annotate(n=Count("id"), amount=Sum("amount")):
        deals[row["dealstage"]] = row["n"]
        amounts[row["dealstage"]] = row["amount"] or Decimal("0.00")
    return {"lifecyclestage": lifecycle, "dealstage": deals, "pipeline_amount": amounts}


@dataclass(frozen=True)
class ExportColumn:
    header: str  # a HubSpot property name, so the file imports as it is
    value: Callable[[Any], object]
    phone: bool = False  # a phone number here stays as it is; see core.csv_export


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


EXPORTS: dict[str, tuple[Callable[[Simulation], QuerySet[Any]], tuple[ExportColumn, ...]]] = {
    "contacts": (
        lambda simulation: Contact.objects.filter(simulation=simulation),
        (
            ExportColumn("firstname", lambda c: c.firstname),
            ExportColumn("lastname", lambda c: c.lastname),
            ExportColumn("email", lambda c: c.email),
            ExportColumn("jobtitle", lambda c: c.jobtitle),
            ExportColumn("company", lambda c: c.company),
            ExportColumn("industry", lambda c: c.industry),
            ExportColumn("phone", lambda c: c.phone, phone=True),
            ExportColumn("city", lambda c: c.city),
            ExportColumn("country", lambda c: c.country),
            ExportColumn("lifecyclestage", lambda c: c.lifecyclestage),
            ExportColumn("createdate", lambda c: _iso(c.occurred_at)),
        ),
    ),
    "companies": (
        lambda simulation: Company.objects.filter(simulation=simulation),
        (
            ExportColumn("name", lambda c: c.name),
            ExportColumn("domain", lambda c: c.domain),
            ExportColumn("industry", lambda c: c.industry),
            ExportColumn("city", lambda c: c.city),
            ExportColumn("country", lambda c: c.country),
            ExportColumn("numberofemployees", lambda c: c.employees),
            ExportColumn("createdate", lambda c: _iso(c.occurred_at)),
        ),
    ),
    "deals": (
        # email and domain name the deal's contact and company, so a multi-object import associates them.
        lambda simulation: Deal.objects.filter(simulation=simulation).select_related("contact", "company"),
        (
            ExportColumn("dealname", lambda d: d.name),
            ExportColumn("amount", lambda d: d.amount),
            ExportColumn("deal_currency_code", lambda d: d.currency),
            ExportColumn("pipeline", lambda d: d.pipeline),
            ExportColumn("dealstage", lambda d: d.dealstage),
            ExportColumn("closedate", lambda d: _iso(d.closedate)),
            ExportColumn("createdate", lambda d: _iso(d.occurred_at)),
            ExportColumn("email", lambda d: d.contact.email),
            ExportColumn("domain", lambda d: d.company.domain if d.company else ""),
        ),
    ),
}


def export_rows(*, simulation: Simulation, object_name: str) -> Iterator[str]:
    """The CSV lines of one kind of record, header first, read from the database in chunks.

    Record text is a model's or a user's: core.csv_export keeps it from reaching a spreadsheet as a formula.
    """
    records, columns = EXPORTS[object_name]
    return csv_lines(
        header=[column.header for column in columns],
        rows=(
            [column.value(record) for column in columns]
            for record in records(simulation).order_by("occurred_at", "id").iterator(chunk_size=2_000)
        ),
        phone_columns={column.header for column in columns if column.phone},
    )
