"""The answer key (export ?object=outcomes): for every contact and deal a planned simulation has by its
`ends_at`, what its seeded timeline plans for it, moves still in the future included. People testing lead
scoring, forecasting or AI features on a sandbox get the ground truth, which only a simulator has.

One row per contact and, after it, one per deal: `object, simcrm_id, email, final_lifecyclestage,
final_dealstage, converts_at, closes_at, outcome` (CONTRACT.md, "Activities").
"""

from collections.abc import Iterator
from datetime import timedelta

from core.csv_export import csv_lines
from simulations.delivery import simcrm_ids_of
from simulations.funnel import timeline_slice
from simulations.kinds.moves import PlannedEnds, planned_ends
from simulations.models import Contact, Deal, DealStage, Simulation
from simulations.planner import crm_settings_of, simulation_plan

HEADER = [
    "object",
    "simcrm_id",
    "email",
    "final_lifecyclestage",
    "final_dealstage",
    "converts_at",
    "closes_at",
    "outcome",
]
CHUNK = 2_000


def outcome_rows(*, simulation: Simulation) -> Iterator[str]:
    """The answer key's CSV lines, header first; records not made yet have an empty simcrm_id and email."""
    plan = simulation_plan(simulation)
    timeline = timeline_slice(plan, crm_settings_of(simulation), start=0, count=2**62)
    ends = planned_ends(timeline, plan.total_records)

    def at(offset: int) -> str:
        return (plan.starts_at + timedelta(microseconds=offset)).isoformat() if offset >= 0 else ""

    def rows() -> Iterator[list[object]]:
        deals: list[list[object]] = []
        for start in range(0, plan.total_records, CHUNK):
            indexes = range(start, min(start + CHUNK, plan.total_records))
            made = dict(
                Contact.objects.filter(simulation=simulation, record_index__in=indexes).values_list(
                    "record_index", "pk"
                )
            )
            emails = dict(Contact.objects.filter(pk__in=made.values()).values_list("pk", "email"))
            deal_ids = dict(
                Deal.objects.filter(contact_id__in=made.values()).values_list("contact__record_index", "pk")
            )
            contact_ids = simcrm_ids_of("contacts", list(made.values()))
            deal_simcrm = simcrm_ids_of("deals", list(deal_ids.values()))
            for index in indexes:
                contact = made.get(index)
                email = emails.get(contact, "") if contact else ""
                outcome = _outcome(ends, index)
                common = [ends.lifecyclestage[index], ends.dealstage[index], at(int(ends.converts_at[index]))]
                closes = at(int(ends.closes_at[index]))
                yield ["contact", contact_ids.get(contact, "") if contact else "", email, *common, closes, outcome]
                if ends.dealstage[index]:
                    deal = deal_ids.get(index)
                    deals.append(["deal", deal_simcrm.get(deal, "") if deal else "", email, *common, closes, outcome])
            yield from deals
            deals.clear()

    return csv_lines(header=HEADER, rows=rows(), phone_columns=set())


def _outcome(ends: PlannedEnds, index: int) -> str:
    stage = ends.dealstage[index]
    if not stage:
        return "none"
    return {DealStage.CLOSED_WON: "won", DealStage.CLOSED_LOST: "lost"}.get(DealStage(stage), "open")
