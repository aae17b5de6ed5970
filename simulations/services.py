import dataclasses
import secrets

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from core.errors import ConflictError
from jobs.models import ScheduledJob
from jobs.tasks import worker_wake
from simulations.curves import Plan
from simulations.delivery import connection_id_of, simulation_connect
from simulations.funnel import CrmSettings
from simulations.job_types import JobType
from simulations.kinds import record_kinds
from simulations.models import FREQUENCY_MINUTES, MAX_SEED, EmailDomains, RecordFrequency, Simulation
from simulations.planner import FIRST_WINDOW, crm_settings_of, records_plan_next, simulation_plan
from simulations.schedule import job_due_times


@transaction.atomic
def simulation_create(
    *,
    owner: User,
    theme: str,
    industry: str,
    record_frequency: str = RecordFrequency.HOURLY,
    name: str = "",
    plan: Plan | None = None,
    crm: CrmSettings | None = None,
    connection_id: int | None = None,
    email_domains: str = EmailDomains.RESERVED,
) -> Simulation:
    """Create a simulation and its first jobs in one transaction: either all exist or none.

    Without a plan, the original schedule's 5 jobs; with one, the first window of its timeline
    (companies, contacts and their stage moves, with `crm`'s settings; the worker's planner makes
    the rest as they come due).
    """
    if plan is None:
        simulation = Simulation.objects.create(
            owner=owner,
            theme=theme,
            industry=industry,
            record_frequency=record_frequency,
            name=name,
            seed=seed_draw(),
            email_domains=email_domains,
        )
        _connect(simulation, connection_id)
        contact_jobs_schedule(simulation=simulation)
    else:
        plan = plan_seeded(plan)
        simulation = Simulation.objects.create(
            owner=owner,
            theme=theme,
            industry=industry,
            name=name,
            total_records=plan.total_records,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            distribution=plan.distribution,
            curve_weights=list(plan.curve_weights) if plan.curve_weights is not None else None,
            timezone=plan.timezone,
            seed=plan.drawn_seed,
            timeline_version=plan.timeline_version,
            email_domains=email_domains,
            **dataclasses.asdict(crm or CrmSettings()),
        )
        _connect(simulation, connection_id)
        records_plan_next(simulation=simulation, limit=FIRST_WINDOW)
    return simulation


def seed_draw() -> int:
    """A new simulation's seed when its creator gave none: the one place a seed is drawn."""
    return secrets.randbelow(MAX_SEED + 1)


def plan_seeded(plan: Plan) -> Plan:
    """The plan with its own seed, or a newly drawn one."""
    return plan if plan.seed is not None else dataclasses.replace(plan, seed=seed_draw())


def _connect(simulation: Simulation, connection_id: int | None) -> None:
    # Before any job or record exists, so every record it makes is delivered.
    if connection_id is not None:
        simulation_connect(simulation_id=simulation.pk, connection_id=connection_id)


def simulation_replay(*, simulation: Simulation, owner: User) -> Simulation:
    """A new simulation with the same settings, window and seed: the same records at the same instants.

    The window is kept as it was, even when it now starts more than 366 days ago.
    """
    if not simulation.is_planned:
        raise ConflictError(
            "Only a planned simulation (one created with total_records) can be replayed: the original "
            "schedule (5 contacts) has no seed. Create a new simulation instead."
        )
    return simulation_create(
        owner=owner,
        theme=simulation.theme,
        industry=simulation.industry,
        name=f"{simulation} (replay)"[:255],
        plan=simulation_plan(simulation),
        crm=crm_settings_of(simulation),
        connection_id=connection_id_of(simulation_id=simulation.pk),
        email_domains=simulation.email_domains,
    )


def contact_jobs_schedule(*, simulation: Simulation) -> list[ScheduledJob]:
    """Schedule the simulation's CREATE_CONTACT jobs by the design's rule; job 0 is due at once."""
    due_times = job_due_times(start=timezone.now(), frequency_minutes=FREQUENCY_MINUTES[simulation.record_frequency])
    jobs = ScheduledJob.objects.bulk_create(
        ScheduledJob(
            simulation=simulation,
            job_type=JobType.CREATE_CONTACT,
            payload={"index": index, "theme": simulation.theme, "industry": simulation.industry},
            scheduled_for=due,
        )
        for index, due in enumerate(due_times)
    )
    worker_wake()  # at the commit
    return jobs


def simulation_rename(*, simulation: Simulation, name: str) -> Simulation:
    Simulation.objects.filter(pk=simulation.pk).update(name=name, updated_at=timezone.now())
    simulation.refresh_from_db()
    return simulation


def simulation_delete(*, simulation: Simulation) -> None:
    """Remove the simulation with its jobs and records from SimCRM (never from a connected CRM).

    The simulation is locked first, as everywhere; a worker still running one of its jobs then
    finds the job gone and drops its work.
    """
    with transaction.atomic():
        locked = Simulation.objects.select_for_update().filter(pk=simulation.pk).first()
        if locked is None:
            return
        # Records first, each kind once nothing refers to it any more (kinds refer only to kinds
        # registered before them), in one DELETE each; then the
        # jobs have no referrers left either, and go in one statement too instead of Django's per-row
        # cascade, which would load a million-record run's ids into memory.
        with connection.cursor() as cursor:
            tables = [
                *(kind.model._meta.db_table for kind in reversed(list(record_kinds()))),
                ScheduledJob._meta.db_table,
            ]
            for table in tables:
                cursor.execute(f"DELETE FROM {table} WHERE simulation_id = %s", [locked.pk])  # noqa: S608
        locked.delete()
