"""Deals: opened by a contact's move to opportunity (simulations.kinds.moves), one a contact at most."""

from django.contrib import admin
from rest_framework import serializers

from simulations.funnel import OPEN_STAGE_SHARE, OPEN_STAGES, CrmSettings
from simulations.kinds import KindAssociation, KindField, KindStage, RecordKind
from simulations.models import DEAL_ORDER, DELIVERY_FIELDS, Deal, DealStage, EventObject


class DealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deal
        fields = [
            "id",
            "simulation",
            "name",
            "amount",
            "currency",
            "pipeline",
            "dealstage",
            "closedate",
            "contact",
            "company",
            *DELIVERY_FIELDS,
            "occurred_at",
            "created_at",
        ]
        read_only_fields = fields


class DealAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "amount", "currency", "dealstage", "closedate", "simulation", "occurred_at"]
    list_filter = ["dealstage", "simulation"]
    search_fields = ["name", "contact__email", "company__name"]
    # Stages move only through the funnel's jobs, which write an event for each move.
    readonly_fields = ["simulation", "dealstage", "contact", "company", "occurred_at", "created_at"]
    list_select_related = ["simulation"]


def _volume(contacts: int, companies: int, crm: CrmSettings | None) -> tuple[int, int]:
    """Expected values: a deal passes about OPEN_STAGE_SHARE of the open stages, then closes."""
    if crm is None:
        return 0, 0
    deals = round(contacts * crm.deal_rate)
    return deals, round(deals * (OPEN_STAGES * OPEN_STAGE_SHARE + 1))


DEALS = RecordKind(
    name="deals",
    model=Deal,
    serializer=DealSerializer,
    admin=DealAdmin,
    fields=(
        KindField("dealname", lambda d: d.name),
        KindField("amount", lambda d: d.amount),
        KindField("deal_currency_code", lambda d: d.currency, delivered=False),
        KindField("pipeline", lambda d: d.pipeline),
        KindField("dealstage", lambda d: d.dealstage),
        KindField("closedate", lambda d: d.closedate),
        KindField("createdate", lambda d: d.occurred_at, delivered=False),
        # Its contact's email and company's domain, so a multi-object import associates them.
        KindField("email", lambda d: d.contact.email, delivered=False),
        KindField("domain", lambda d: d.company.domain if d.company else "", delivered=False),
    ),
    export_related=("contact", "company"),
    delivered=True,
    stage=KindStage("dealstage", DealStage, DEAL_ORDER, EventObject.DEAL),
    associations=(KindAssociation("contacts", "contact"), KindAssociation("companies", "company")),
    volume=_volume,
    list_doc="Its deals, in the order they were opened in its timeline.",
)
