"""The CREATE_CONTACT job: a contact from a persona its simulation has not used yet.

Two forms: the batch form completes every claimed job whose persona pool is warm in one
transaction; the rest go one by one through `contact_create_for_job`, which may call the persona
provider (seconds) outside any transaction.
"""

from collections import Counter, defaultdict

from django.db import IntegrityError, OperationalError

from jobs.models import ScheduledJob
from jobs.registry import JobFailed, JobHandler
from jobs.runner import scheduled_job_completing, scheduled_jobs_completing
from personas.errors import PersonaError
from personas.models import CachedPersona
from personas.services import (
    TakenPersona,
    name_key,
    persona_pick_unused,
    persona_pool_record_hits,
    persona_pools_warm,
    persona_take,
)
from simulations.job_types import JobType
from simulations.models import Contact, Simulation

# Two jobs of one simulation can pick the same persona at once; the loser picks again.
PERSONA_PICK_ROUNDS = 5
# The batch form's tries when another worker's batch for the same simulation commits first.
FAST_PATH_ROUNDS = 2


def contact_create_for_job(job: ScheduledJob, claim: str) -> None:
    """Create the job's contact and complete the job in one commit."""
    simulation = Simulation.objects.only("id", "theme", "industry").get(pk=job.simulation_id)
    for _ in range(PERSONA_PICK_ROUNDS):
        used_emails, used_names = _used_personas(simulation_ids={simulation.pk})[simulation.pk]
        try:
            taken = persona_take(
                theme=simulation.theme, industry=simulation.industry, used_emails=used_emails, used_names=used_names
            )
        except PersonaError as error:
            raise JobFailed(str(error), retryable=error.retryable, retry_after=error.retry_after) from error
        try:
            with scheduled_job_completing(job, claim) as completion:
                contact = Contact.objects.create(
                    simulation=simulation, job=completion.job, source=taken.source, **taken.data
                )
                completion.result = _job_result(contact, taken)
            return
        except IntegrityError:
            # Another job of this simulation saved the same persona first; pick again.
            continue
    raise JobFailed("Could not find an unused persona for this simulation; will retry.", retryable=True)


def contacts_create_for_jobs(jobs: list[ScheduledJob], claim: str) -> set[int]:
    """The batch form: complete every job whose pool is warm, in one transaction; return their ids."""
    simulations = Simulation.objects.only("id", "theme", "industry").in_bulk({job.simulation_id for job in jobs})
    themed = [(job, simulations[job.simulation_id]) for job in jobs if job.simulation_id in simulations]
    pools = persona_pools_warm(themes_and_industries={(sim.theme, sim.industry) for _, sim in themed})
    if not pools:
        return set()
    for _ in range(FAST_PATH_ROUNDS):
        picks = _fast_path_picks(themed, pools)
        if not picks:
            return set()
        try:
            return _contacts_create_in_bulk(claim, picks)
        except IntegrityError:
            # Another worker of the same simulation committed one of these personas first: read its
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

Pick = tuple[ScheduledJob, TakenPersona, int]


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
            Contact(simulation_id=job.simulation_id, job_id=job.pk, source=taken.source, **taken.data)
            for job, taken, _ in picks
        )
        for (job, taken, _), contact in zip(picks, contacts, strict=True):
            completion.results[job.pk] = _job_result(contact, taken)
        # In the same commit, and in id order: every worker locks pool rows in one order, so no deadlock.
        hits = Counter(pool_id for _, _, pool_id in picks)
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
