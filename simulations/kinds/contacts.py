"""The CREATE_CONTACT job: a contact from a persona its simulation has not used yet.

Two forms: the batch form completes every claimed job whose persona pool is warm in one
transaction; the rest go one by one through `contact_create_for_job`, which may call the persona
provider (seconds) outside any transaction.
"""

import dataclasses
from collections import Counter, defaultdict
from typing import Any, NamedTuple

import numpy as np
from django.contrib import admin
from django.db import IntegrityError, OperationalError
from rest_framework import serializers

from jobs.models import JobStatus, ScheduledJob
from jobs.registry import BatchOutcome, JobDeferred, JobFailed, JobHandler
from jobs.runner import scheduled_job_completing, scheduled_jobs_completing
from personas.errors import PersonaError
from personas.models import CachedPersona
from personas.services import (
    TakenPersona,
    name_key,
    persona_at_company,
    persona_for_record,
    persona_pick_unused,
    persona_pool_record_hits,
    persona_pools_warm,
    persona_take,
    personas_for_records,
    record_seed,
)
from simulations import timeline_versions
from simulations.delivery import records_changed
from simulations.domains import email_with_domains
from simulations.funnel import CrmSettings, Step
from simulations.job_types import JobType
from simulations.kinds import (
    EntryJob,
    KindAssociation,
    KindField,
    KindStage,
    RecordKind,
    TimelineContext,
    TimelinePart,
    TimelineStep,
)
from simulations.kinds.companies import SIMULATION_FIELDS, company_ensure
from simulations.kinds.moves import first_stage_events
from simulations.models import (
    DELIVERY_FIELDS,
    LIFECYCLE_ORDER,
    Company,
    Contact,
    EventObject,
    LifecycleStage,
    RecordEvent,
    Simulation,
)
from simulations.payloads import payload_index, payload_instant

# Two jobs of one simulation can pick the same persona at once; the loser picks again.
PERSONA_PICK_ROUNDS = 5
# The batch form's tries when another worker's batch for the same simulation commits first.
FAST_PATH_ROUNDS = 2
# Of a company's contacts, about this share write from an address at the company's domain.
COMPANY_EMAIL_SHARE = 0.8


def contact_create_for_job(job: ScheduledJob, claim: str) -> None:
    """Create the job's contact and complete the job in one commit."""
    simulation = Simulation.objects.only(*SIMULATION_FIELDS).get(pk=job.simulation_id)
    company = _company_for_job(job, simulation)
    for attempt in range(PERSONA_PICK_ROUNDS):
        try:
            if simulation.is_planned:
                taken = persona_for_record(
                    theme=simulation.theme,
                    industry=simulation.industry,
                    seed=simulation.seed,
                    index=payload_index(job),
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
        if company is not None:
            taken = _at_company(taken, company, simulation=simulation, index=payload_index(job))
        taken = _with_email_domains(taken, simulation)
        try:
            with scheduled_job_completing(job, claim) as completion:
                contact = Contact.objects.create(
                    simulation=simulation,
                    job=completion.job,
                    source=taken.source,
                    occurred_at=payload_instant(job),
                    record_index=payload_index(job) if simulation.is_planned else None,
                    company_record=company,
                    **taken.data,
                )
                RecordEvent.objects.bulk_create(first_stage_events([contact]))
                records_changed(Contact, [contact.pk])
                completion.result = _job_result(contact, taken)
            return
        except IntegrityError:
            # Another job of this simulation saved the same email first; pick again (a planned
            # record draws its next candidate, seeded by the attempt).
            continue
    raise JobFailed("Could not find an unused persona for this simulation.", retryable=True)


def contacts_create_for_jobs(jobs: list[ScheduledJob], claim: str) -> BatchOutcome:
    """The batch form: complete every job whose persona is at hand, in one transaction; return their ids."""
    simulations = Simulation.objects.only(*SIMULATION_FIELDS).in_bulk({job.simulation_id for job in jobs})
    themed = [(job, simulations[job.simulation_id]) for job in jobs if job.simulation_id in simulations]
    planned = [(job, simulation) for job, simulation in themed if simulation.is_planned]
    classic = [(job, simulation) for job, simulation in themed if not simulation.is_planned]
    pools = persona_pools_warm(themes_and_industries={(sim.theme, sim.industry) for _, sim in classic})
    for _ in range(FAST_PATH_ROUNDS):
        picks = _planned_picks(planned) + (_fast_path_picks(classic, pools) if pools else [])
        if not picks:
            return BatchOutcome()
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
    return BatchOutcome()


CREATE_CONTACT_HANDLER = JobHandler(
    job_type=JobType.CREATE_CONTACT, run=contact_create_for_job, run_batch=contacts_create_for_jobs
)


class Pick(NamedTuple):
    job: ScheduledJob
    taken: TakenPersona
    pool_id: int | None  # the pool it came from, when a hit is to be counted
    company_id: int | None
    # A planned record's place in its schedule; the original schedule's contacts have none (its jobs'
    # indexes need not be distinct).
    record_index: int | None


def _company_index(job: ScheduledJob) -> int | None:
    company = job.payload.get("company") if isinstance(job.payload, dict) else None
    return int(company) if company is not None else None


def _company_for_job(job: ScheduledJob, simulation: Simulation) -> Company | None:
    """The company a b2b contact joins. Its own job comes first; while that job is unfinished the
    contact waits for it, and once it failed the contact makes the company itself."""
    index = _company_index(job)
    if index is None:
        return None
    company = Company.objects.filter(simulation_id=simulation.pk, record_index=index).first()
    if company is not None:
        return company
    company_job_unfinished = ScheduledJob.objects.filter(
        simulation_id=simulation.pk,
        job_type=JobType.CREATE_COMPANY,
        status__in=(JobStatus.PENDING, JobStatus.PROCESSING),
        payload__company=index,
    ).exists()
    if company_job_unfinished:
        raise JobDeferred(f"Waiting for company #{index}, which this contact works for, to be created.", delay=1.0)
    return company_ensure(simulation=simulation, index=index, occurred_at=payload_instant(job))


def _at_company(taken: TakenPersona, company: Company, *, simulation: Simulation, index: int) -> TakenPersona:
    """The persona as an employee of the company: its company name, mostly an address at its domain,
    and mostly living in its country (all drawn from the simulation's seed)."""
    seed = simulation.seed
    data = {**taken.data, "company": company.name}
    if simulation.timeline_version >= timeline_versions.COMPANY_PLACES_PEOPLE:
        data = persona_at_company(
            data, country=company.country, city=company.city, seed=record_seed(seed=seed, index=index, attempt=-3)
        )
    if record_seed(seed=seed, index=index, attempt=-2) % 1000 < COMPANY_EMAIL_SHARE * 1000:
        local = data["email"].split("@", 1)[0]
        data["email"] = f"{local}@{company.domain}"
    return dataclasses.replace(taken, data=data)


def _with_email_domains(taken: TakenPersona, simulation: Simulation) -> TakenPersona:
    """The email as the simulation's `email_domains` says; the shared pool keeps the provider's own."""
    email = email_with_domains(taken.data["email"], email_domains=simulation.email_domains)
    return dataclasses.replace(taken, data={**taken.data, "email": email})


def _planned_picks(themed: list[tuple[ScheduledJob, Simulation]]) -> list[Pick]:
    """Each planned record's own persona, leaving out (for the slow path) any whose email its
    simulation already has or that another record of the batch takes."""
    by_simulation: dict[int, list[ScheduledJob]] = defaultdict(list)
    simulations: dict[int, Simulation] = {}
    for job, simulation in themed:
        by_simulation[simulation.pk].append(job)
        simulations[simulation.pk] = simulation
    picks: list[Pick] = []
    companies = _companies_of(themed)
    for simulation_id, jobs in by_simulation.items():
        simulation = simulations[simulation_id]
        try:
            found = personas_for_records(
                theme=simulation.theme,
                industry=simulation.industry,
                seed=simulation.seed,
                indexes=[payload_index(job) for job in jobs],
            )
        except PersonaError:
            continue
        for job in jobs:
            taken = found.get(payload_index(job))
            company_index = _company_index(job)
            if taken is None:
                continue
            if company_index is None:
                picks.append(Pick(job, _with_email_domains(taken, simulation), taken.pool_id, None, payload_index(job)))
                continue
            company = companies.get((simulation_id, company_index))
            if company is None:
                continue  # not created yet: the one-by-one path waits for it
            employed = _at_company(taken, company, simulation=simulation, index=payload_index(job))
            picks.append(
                Pick(job, _with_email_domains(employed, simulation), taken.pool_id, company.pk, payload_index(job))
            )
    wanted = {(pick.job.simulation_id, pick.taken.data["email"]) for pick in picks}
    taken_emails = set(
        Contact.objects.filter(
            simulation_id__in={simulation_id for simulation_id, _ in wanted}, email__in={email for _, email in wanted}
        ).values_list("simulation_id", "email")
    )
    kept: list[Pick] = []
    for pick in picks:
        key = (pick.job.simulation_id, pick.taken.data["email"])
        if key not in taken_emails:
            taken_emails.add(key)
            kept.append(pick)
    return kept


def _companies_of(themed: list[tuple[ScheduledJob, Simulation]]) -> dict[tuple[int, int], Company]:
    wanted = {(job.simulation_id, index) for job, _ in themed if (index := _company_index(job)) is not None}
    if not wanted:
        return {}
    rows = Company.objects.filter(
        simulation_id__in={simulation_id for simulation_id, _ in wanted},
        record_index__in={index for _, index in wanted},
    ).only("id", "simulation_id", "record_index", "name", "domain", "city", "country")
    return {(company.simulation_id, company.record_index): company for company in rows}


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
        picks.append(Pick(job, _with_email_domains(taken, simulation), pool.pk, None, None))
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


def _contacts_create_in_bulk(claim: str, picks: list[Pick]) -> BatchOutcome:
    with scheduled_jobs_completing([pick.job.pk for pick in picks], claim) as completion:
        # Insert in (simulation, email) order: two batches of one simulation then meet on the unique
        # index in the same order, so one waits for the other (and gets IntegrityError), never a deadlock.
        picks = sorted(
            (pick for pick in picks if pick.job.pk in completion.still_ours),
            key=lambda pick: (pick.job.simulation_id, pick.taken.data["email"]),
        )
        contacts = Contact.objects.bulk_create(
            Contact(
                simulation_id=pick.job.simulation_id,
                job_id=pick.job.pk,
                source=pick.taken.source,
                occurred_at=payload_instant(pick.job),
                record_index=pick.record_index,
                company_record_id=pick.company_id,
                **pick.taken.data,
            )
            for pick in picks
        )
        RecordEvent.objects.bulk_create(first_stage_events(contacts))
        records_changed(Contact, [contact.pk for contact in contacts])
        for pick, contact in zip(picks, contacts, strict=True):
            completion.results[pick.job.pk] = _job_result(contact, pick.taken)
        # In the same commit, and in id order: every worker locks pool rows in one order, so no deadlock.
        hits = Counter(pick.pool_id for pick in picks if pick.pool_id is not None)
        for pool_id in sorted(hits):
            persona_pool_record_hits(pool_id=pool_id, hits=hits[pool_id])
    return completion.outcome()


def _job_result(contact: Contact, taken: TakenPersona) -> dict[str, object]:
    return {
        "simulated": True,
        "contact_id": contact.pk,
        "source": taken.source,
        "model": taken.model,  # the OpenAI model that wrote the persona; None offline
        "persona_cached": taken.cached,
        "contact": dict(taken.data),
    }


# --- the kind ------------------------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    company_id = serializers.IntegerField(
        source="company_record_id", allow_null=True, read_only=True, help_text="Its company (null in b2c)."
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "simulation",
            "job",
            "firstname",
            "lastname",
            "email",
            "jobtitle",
            "company",
            "industry",
            "phone",
            "city",
            "country",
            "source",
            "lifecyclestage",
            "company_id",
            *DELIVERY_FIELDS,
            "occurred_at",
            "created_at",
        ]
        read_only_fields = fields


class ContactAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "firstname",
        "lastname",
        "email",
        "company",
        "lifecyclestage",
        "source",
        "simulation",
        "created_at",
    ]
    list_filter = ["source", "lifecyclestage", "simulation"]
    search_fields = ["firstname", "lastname", "email", "company", "jobtitle"]
    # Stages move only through the funnel's jobs, which write an event for each move.
    readonly_fields = [
        "simulation",
        "job",
        "source",
        "lifecyclestage",
        "company_record",
        "record_index",
        "occurred_at",
        "created_at",
    ]
    list_select_related = ["simulation"]


def _timeline(context: TimelineContext) -> tuple[list[TimelinePart], dict[str, Any]]:
    """Each contact at its instant on the curve; the facts say its company (-1: none)."""
    records = np.arange(len(context.offsets), dtype=np.int64)
    return [TimelinePart(Step.CONTACT, context.offsets, records)], {"company": context.draws.company}


def _contact_job(entry: EntryJob) -> tuple[str, dict[str, Any]]:
    company = int(entry.facts["company"][entry.index])
    payload: dict[str, Any] = {"index": entry.index, "at": entry.instant.isoformat()}
    if company >= 0:
        payload["company"] = company
    return JobType.CREATE_CONTACT, payload


def _volume(contacts: int, companies: int, crm: CrmSettings | None) -> tuple[int, int]:
    """Expected values, counting every move as if the window let it happen (an upper bound): MQL and SQL,
    then opportunity and the close for those with a deal."""
    if crm is None:
        return contacts, 0
    step = crm.deal_rate ** (1 / 3)
    return contacts, round(contacts * (step + step**2)) + 2 * round(contacts * crm.deal_rate)


CONTACTS = RecordKind(
    name="contacts",
    model=Contact,
    serializer=ContactSerializer,
    admin=ContactAdmin,
    handlers=(CREATE_CONTACT_HANDLER,),
    steps=(TimelineStep(Step.CONTACT, "contact", _contact_job, counts_as_record=True),),
    timeline=_timeline,
    fields=(
        KindField("firstname", lambda c: c.firstname),
        KindField("lastname", lambda c: c.lastname),
        KindField("email", lambda c: c.email),
        KindField("jobtitle", lambda c: c.jobtitle),
        KindField("company", lambda c: c.company),
        KindField("industry", lambda c: c.industry),
        KindField("phone", lambda c: c.phone, phone=True),
        KindField("city", lambda c: c.city),
        KindField("country", lambda c: c.country),
        KindField("lifecyclestage", lambda c: c.lifecyclestage),
        KindField("createdate", lambda c: c.occurred_at, delivered=False),
    ),
    delivered=True,
    stage=KindStage("lifecyclestage", LifecycleStage, LIFECYCLE_ORDER, EventObject.CONTACT),
    associations=(KindAssociation("companies", "company_record"),),
    volume=_volume,
    list_doc="Its contacts, in the order of its timeline.",
)
