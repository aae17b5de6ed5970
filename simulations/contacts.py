"""The CREATE_CONTACT job: a contact from a persona its simulation has not used yet.

Two forms: the batch form completes every claimed job whose persona pool is warm in one
transaction; the rest go one by one through `contact_create_for_job`, which may call the persona
provider (seconds) outside any transaction.
"""

from collections import Counter, defaultdict
from datetime import datetime

from django.db import IntegrityError, OperationalError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from jobs.models import ScheduledJob
from jobs.registry import JobFailed, JobHandler
from jobs.runner import scheduled_job_completing, scheduled_jobs_completing
from personas.errors import PersonaError
from personas.models import CachedPersona
from personas.services import (
    TakenPersona,
    name_key,
    persona_for_record,
    persona_pick_unused,
    persona_pool_record_hits,
    persona_pools_warm,
    persona_take,
    personas_for_records,
)
from simulations.job_types import JobType
from simulations.models import Contact, Simulation

# Two jobs of one simulation can pick the same persona at once; the loser picks again.
PERSONA_PICK_ROUNDS = 5
# The batch form's tries when another worker's batch for the same simulation commits first.
FAST_PATH_ROUNDS = 2


def contact_create_for_job(job: ScheduledJob, claim: str) -> None:
    """Create the job's contact and complete the job in one commit."""
    simulation = Simulation.objects.only("id", "theme", "industry", "seed", "total_records").get(pk=job.simulation_id)
    for attempt in range(PERSONA_PICK_ROUNDS):
        try:
            if simulation.is_planned:
                taken = persona_for_record(
                    theme=simulation.theme,
                    industry=simulation.industry,
                    seed=simulation.seed,
                    index=_record_index(job),
                    attempt=attempt,
                )
            else:
                used_emails, used_names = _used_personas(simulation_ids={simulation.pk})[simulation.pk]
                taken = persona_take(
                    theme=simulation.theme, industry=simulation.industry, used_emails=used_emails, used_names=used_names
                )
        except PersonaError as error:
            raise JobFailed(str(error), retryable=error.retryable, retry_after=error.retry_after) from error
        assert taken is not None  # persona_for_record extends the pool when it may
        try:
            with scheduled_job_completing(job, claim) as completion:
                contact = Contact.objects.create(
                    simulation=simulation,
                    job=completion.job,
                    source=taken.source,
                    occurred_at=_occurred_at(job),
                    **taken.data,
                )
                completion.result = _job_result(contact, taken)
            return
        except IntegrityError:
            # Another job of this simulation saved the same email first; pick again (a planned
            # record draws its next candidate, seeded by the attempt).
            continue
    raise JobFailed("Could not find an unused persona for this simulation; will retry.", retryable=True)


def contacts_create_for_jobs(jobs: list[ScheduledJob], claim: str) -> set[int]:
    """The batch form: complete every job whose persona is at hand, in one transaction; return their ids."""
    simulations = Simulation.objects.only("id", "theme", "industry", "seed", "total_records").in_bulk(
        {job.simulation_id for job in jobs}
    )
    themed = [(job, simulations[job.simulation_id]) for job in jobs if job.simulation_id in simulations]
    planned = [(job, simulation) for job, simulation in themed if simulation.is_planned]
    classic = [(job, simulation) for job, simulation in themed if not simulation.is_planned]
    pools = persona_pools_warm(themes_and_industries={(sim.theme, sim.industry) for _, sim in classic})
    for _ in range(FAST_PATH_ROUNDS):
        picks = _planned_picks(planned) + (_fast_path_picks(classic, pools) if pools else [])
        if not picks:
            return set()
        try:
            return _contacts_create_in_bulk(claim, picks)
        except IntegrityError:
            # Another worker of the same simulation committed one of these emails first: read its
            # contacts and pick again, rather than send the whole batch down the slow path.
            continue
        except OperationalError as error:
            if not _is_lock_conflict(error):
                raise
            continue  # the transaction was rolled back whole; nothing of it stays
    return set()


CREATE_CONTACT_HANDLER = JobHandler(
    job_type=JobType.CREATE_CONTACT, run=contact_create_for_job, run_batch=contacts_create_for_jobs
)

# (job, persona, the pool it came from when a hit is to be counted)
Pick = tuple[ScheduledJob, TakenPersona, int | None]


def _record_index(job: ScheduledJob) -> int:
    return int(job.payload["index"])


def _occurred_at(job: ScheduledJob) -> datetime:
    """A planned record's instant in the timeline; the original schedule's records happen when made."""
    at = job.payload.get("at") if isinstance(job.payload, dict) else None
    parsed = parse_datetime(at) if isinstance(at, str) else None
    return parsed or timezone.now()


def _planned_picks(themed: list[tuple[ScheduledJob, Simulation]]) -> list[Pick]:
    """Each planned record's own persona, leaving out (for the slow path) any whose email its
    simulation already has or that another record of the batch takes."""
    by_simulation: dict[int, list[ScheduledJob]] = defaultdict(list)
    simulations: dict[int, Simulation] = {}
    for job, simulation in themed:
        by_simulation[simulation.pk].append(job)
        simulations[simulation.pk] = simulation
    picks: list[Pick] = []
    for simulation_id, jobs in by_simulation.items():
        simulation = simulations[simulation_id]
        try:
            found = personas_for_records(
                theme=simulation.theme,
                industry=simulation.industry,
                seed=simulation.seed,
                indexes=[_record_index(job) for job in jobs],
            )
        except PersonaError:
            continue
        picks.extend((job, found[_record_index(job)], None) for job in jobs if _record_index(job) in found)
    wanted = {(job.simulation_id, taken.data["email"]) for job, taken, _ in picks}
    taken_emails = set(
        Contact.objects.filter(
            simulation_id__in={simulation_id for simulation_id, _ in wanted}, email__in={email for _, email in wanted}
        ).values_list("simulation_id", "email")
    )
    kept: list[Pick] = []
    for job, taken, pool_id in picks:
        key = (job.simulation_id, taken.data["email"])
        if key not in taken_emails:
            taken_emails.add(key)
            kept.append((job, taken, pool_id))
    return kept


def _fast_path_picks(
    themed: list[tuple[ScheduledJob, Simulation]], pools: dict[tuple[str, str], CachedPersona]
) -> list[Pick]:
    """An unused persona for every job whose pool has one, distinct within each simulation."""
    used = _used_personas(simulation_ids={job.simulation_id for job, _ in themed})
    picks: list[Pick] = []
    for job, simulation in themed:
        pool = pools.get((simulation.theme, simulation.industry))
        if pool is None:
            continue
        emails, names = used[job.simulation_id]
        taken = persona_pick_unused(pool=pool, used_emails=emails, used_names=names)
        if taken is None:
            continue
        emails.add(taken.data["email"].lower())
        names.add(name_key(taken.data["firstname"], taken.data["lastname"]))
        picks.append((job, taken, pool.pk))
    return picks


def _is_lock_conflict(error: OperationalError) -> bool:
    """A deadlock or serialization failure: the database rolled the transaction back; trying again is safe."""
    return getattr(error.__cause__, "sqlstate", None) in ("40P01", "40001")


def _used_personas(*, simulation_ids: set[int]) -> dict[int, tuple[set[str], set[str]]]:
    used: dict[int, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    contacts = Contact.objects.filter(simulation_id__in=simulation_ids)
    for simulation_id, email, first, last in contacts.values_list("simulation_id", "email", "firstname", "lastname"):
        used[simulation_id][0].add(email.lower())
        used[simulation_id][1].add(name_key(first, last))
    return used


def _contacts_create_in_bulk(claim: str, picks: list[Pick]) -> set[int]:
    with scheduled_jobs_completing([job.pk for job, _, _ in picks], claim) as completion:
        # Insert in (simulation, email) order: two batches of one simulation then meet on the unique
        # index in the same order, so one waits for the other (and gets IntegrityError), never a deadlock.
        picks = sorted(
            (pick for pick in picks if pick[0].pk in completion.still_ours),
            key=lambda pick: (pick[0].simulation_id, pick[1].data["email"]),
        )
        contacts = Contact.objects.bulk_create(
            Contact(
                simulation_id=job.simulation_id,
                job_id=job.pk,
                source=taken.source,
                occurred_at=_occurred_at(job),
                **taken.data,
            )
            for job, taken, _ in picks
        )
        for (job, taken, _), contact in zip(picks, contacts, strict=True):
            completion.results[job.pk] = _job_result(contact, taken)
        # In the same commit, and in id order: every worker locks pool rows in one order, so no deadlock.
        hits = Counter(pool_id for _, _, pool_id in picks if pool_id is not None)
        for pool_id in sorted(hits):
            persona_pool_record_hits(pool_id=pool_id, hits=hits[pool_id])
    return set(completion.results)


def _job_result(contact: Contact, taken: TakenPersona) -> dict[str, object]:
    return {
        "simulated": True,
        "contact_id": contact.pk,
        "source": taken.source,
        "persona_cached": taken.cached,
        "contact": dict(taken.data),
    }
