"""POST /api/simulations/preview/: the schedule and the bill of a simulation, before it exists."""

import math
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from personas.forecast import persona_forecast
from simulations import timeline_versions
from simulations.calendar_buckets import calendar_buckets
from simulations.curves import Plan, schedule_buckets, schedule_instants, schedule_offsets
from simulations.delivery import DeliveryVolume, delivery_forecast
from simulations.funnel import CONTACTS_ONLY, CrmSettings, forecast_context, timeline_step_counts
from simulations.kinds import record_kinds_of_version
from simulations.models import FREQUENCY_MINUTES, EmailDomains, RecordFrequency, Simulation
from simulations.planner import simulation_plan
from simulations.schedule import JOBS_PER_SIMULATION, job_due_times
from simulations.services import plan_seeded

BUCKETS = 48
FIRST_INSTANTS = 20


def simulation_preview(
    *,
    theme: str,
    industry: str,
    record_frequency: str = RecordFrequency.HOURLY,
    name: str = "",
    plan: Plan | None = None,
    crm: CrmSettings | None = None,
    connection_id: int | None = None,
    email_domains: str = EmailDomains.RESERVED,
) -> dict[str, Any]:
    """What creating with these settings would schedule, and what its personas would cost; writes nothing.

    `email_domains` changes neither the schedule nor the bill: it is taken so a preview checks what a create does.
    """
    if plan is None:
        minutes = FREQUENCY_MINUTES[record_frequency]
        start = timezone.now()
        instants = job_due_times(start=start, frequency_minutes=minutes)
        # The original schedule spreads its 5 contacts over a quarter of the record frequency.
        end = start + timedelta(minutes=minutes / 4)
        buckets = _classic_buckets(instants, start, end)
        total = JOBS_PER_SIMULATION
    else:
        schedule = plan = plan_seeded(plan)
        start, end, total = plan.starts_at, plan.ends_at, plan.total_records
        buckets = schedule_buckets(schedule, buckets=min(BUCKETS, max(total, 1)))
        instants = schedule_instants(schedule, stop=FIRST_INSTANTS)
    crm = crm or CONTACTS_ONLY
    companies = math.ceil(total / crm.contacts_per_company) if plan is not None and crm.has_companies else 0
    version = plan.timeline_version if plan is not None else timeline_versions.CURRENT
    kinds = record_kinds_of_version(version) if plan is not None else []
    # The timeline's entries of each step, from a sample: what the kinds without a volume of their own make.
    counts = timeline_step_counts(plan, crm) if plan is not None and any(k.volume is None for k in kinds) else {}
    activities = sum(counts.get(s.code, 0) for kind in kinds if kind.activity for s in kind.steps if s.creates)
    moments = sorted({s.writes for kind in kinds for s in kind.steps if s.writes and counts.get(s.code)})
    forecast = persona_forecast(
        theme=theme, industry=industry, records=total, companies=companies, text_moments=moments
    ).as_dict()
    volume = _delivery_volume(total, companies, crm if plan else None, version=version, counts=counts)
    delivery = delivery_forecast(connection_id, volume)
    return {
        "schedule": {
            "total_records": total,
            "starts_at": start,
            "ends_at": end,
            "buckets": [{"start": a, "end": b, "count": count} for a, b, count in buckets],
            "first": instants[:FIRST_INSTANTS],
        },
        "forecast": {
            **forecast,
            # Named before a second CRM: the requests and time of the connection's CRM, whichever it is.
            "hubspot_requests": delivery.requests,
            "hubspot_seconds": round(delivery.seconds, 1),
            "crm_day_use": None if delivery.day_use is None else round(delivery.day_use, 4),
            "crm_warning": delivery.warning,
            "activities": activities,
            **(deal_forecast(plan, crm) if plan is not None else NO_DEALS),
        },
    }


NO_DEALS = {"deals": 0, "deals_won": 0, "deals_lost": 0}


def deal_forecast(plan: Plan, crm: CrmSettings) -> dict[str, int]:
    """How many deals the run opens before its window ends, and how many of them close won or lost by then.

    deal_rate is the share of contacts whose funnel opens a deal given the time; a contact created
    late in the window runs out of it, so fewer open than deal_rate says when the window is short
    next to sales_cycle_days.
    """
    if crm.deal_rate == 0:
        return dict(NO_DEALS)
    context, scale = forecast_context(plan, crm)
    draws, window = context.draws, plan.window_us
    opened = (draws.reaches >= 3) & (draws.deal_at < window)
    closed = opened & (draws.close_at < window)
    return {
        "deals": round(int(opened.sum()) * scale),
        "deals_won": round(int((closed & draws.won).sum()) * scale),
        "deals_lost": round(int((closed & ~draws.won).sum()) * scale),
    }


def _delivery_volume(
    contacts: int, companies: int, crm: CrmSettings | None, *, version: int, counts: dict[int, int]
) -> DeliveryVolume:
    """The expected creates and updates of each delivered kind of the timeline version (its `volume`, or its
    steps' entries in `counts`), and an association for each record whose other end the run makes (an upper
    bound)."""
    kinds = [kind for kind in record_kinds_of_version(version) if kind.delivered]
    creates: dict[str, int] = {}
    updates: dict[str, int] = {}
    for kind in kinds:
        if kind.volume is not None:
            creates[kind.name], updates[kind.name] = kind.volume(contacts, companies, crm)
        elif crm is not None:
            creates[kind.name] = sum(counts.get(step.code, 0) for step in kind.steps if step.creates)
            updates[kind.name] = sum(counts.get(step.code, 0) for step in kind.steps if not step.creates)
    associations = {
        (kind.name, association.to): creates.get(kind.name, 0)
        for kind in kinds
        for association in kind.associations
        if creates.get(association.to, 0)
    }
    return DeliveryVolume(creates=creates, updates=updates, associations=associations)


def simulation_schedule(simulation: Simulation) -> dict[str, Any]:
    """The schedule an existing simulation runs on, in the preview's shape (its window may be of any age).

    A planned simulation's buckets are whole hours, days or weeks of its time zone (`unit`), so they
    may begin before its window and end after it; the original schedule keeps its five equal slices.
    """
    unit: str | None = None
    if simulation.is_planned:
        schedule = simulation_plan(simulation)
        offsets = schedule_offsets(schedule)
        unit, buckets = calendar_buckets(
            offsets, starts_at=schedule.starts_at, ends_at=schedule.ends_at, timezone=schedule.timezone
        )
        instants = [schedule.starts_at + timedelta(microseconds=int(at)) for at in offsets[:FIRST_INSTANTS]]
        start, end, total = schedule.starts_at, schedule.ends_at, schedule.total_records
    else:
        minutes = FREQUENCY_MINUTES[simulation.record_frequency]
        start = simulation.created_at
        instants = job_due_times(start=start, frequency_minutes=minutes)
        end = start + timedelta(minutes=minutes / 4)
        buckets = _classic_buckets(instants, start, end)
        total = JOBS_PER_SIMULATION
    return {
        "total_records": total,
        "starts_at": start,
        "ends_at": end,
        "buckets": [{"start": a, "end": b, "count": count} for a, b, count in buckets],
        "first": instants[:FIRST_INSTANTS],
        "unit": unit,
    }


def _classic_buckets(instants: list[datetime], start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
    plan = Plan(total_records=len(instants), starts_at=start, ends_at=end)
    window = plan.window_us
    bounds = [start + timedelta(microseconds=window * i // JOBS_PER_SIMULATION) for i in range(JOBS_PER_SIMULATION + 1)]
    return [
        (bounds[i], bounds[i + 1], sum(bounds[i] <= at < bounds[i + 1] for at in instants))
        for i in range(JOBS_PER_SIMULATION)
    ]
