"""The CREATE_COMPANY job: company number `company` of a b2b simulation, from the company pool.

A company is created once per (simulation, index): by its own job, due at its first contact's
instant and run before that contact's job, or (when that job failed) by the first of its contacts
that needs it. Either way through `company_ensure`.
"""

import dataclasses
from collections import Counter
from datetime import datetime
from typing import Any

import numpy as np
from django.contrib import admin
from django.db import IntegrityError, transaction
from rest_framework import serializers

from jobs.models import ScheduledJob
from jobs.registry import BatchOutcome, JobFailed, JobHandler
from jobs.runner import scheduled_job_completing, scheduled_jobs_completing
from personas.errors import PersonaError
from personas.services import TakenCompany, companies_for_records, company_for_record, persona_pool_record_hits
from simulations import timeline_versions
from simulations.delivery import records_changed
from simulations.domains import domain_with_domains
from simulations.funnel import CrmSettings, Step, company_headcounts
from simulations.job_types import JobType
from simulations.kinds import KindField, RecordKind, TimelineContext, TimelinePart, TimelineStep
from simulations.models import DELIVERY_FIELDS, Company, Scenario, Simulation
from simulations.payloads import payload_instant

# Another company of the simulation may hold the drawn domain; the next attempt draws another.
COMPANY_PICK_ROUNDS = 5
# What building a company reads of its simulation.
SIMULATION_FIELDS = (
    "id",
    "theme",
    "industry",
    "seed",
    "total_records",
    "scenario",
    "contacts_per_company",
    "email_domains",
    "timeline_version",
)


def company_ensure(*, simulation: Simulation, index: int, occurred_at: datetime) -> Company:
    """The simulation's company `index`, created from the company pool if it does not exist yet.

    May call the persona provider (seconds): call it outside any transaction.
    """
    for attempt in range(COMPANY_PICK_ROUNDS):
        existing = Company.objects.filter(simulation_id=simulation.pk, record_index=index).first()
        if existing is not None:
            return existing
        try:
            taken = _company_built(
                simulation,
                index,
                company_for_record(
                    theme=simulation.theme,
                    industry=simulation.industry,
                    seed=simulation.seed,
                    index=index,
                    attempt=attempt,
                ),
            )
        except PersonaError as error:
            raise JobFailed(str(error), retryable=error.retryable, retry_after=error.retry_after) from error
        try:
            with transaction.atomic():
                company = Company.objects.create(**_company_fields(simulation.pk, index, taken, occurred_at))
                records_changed(Company, [company.pk])
                return company
        except IntegrityError:
            continue  # its domain is taken in this simulation, or another worker created it: look again
    raise JobFailed("Could not find an unused company domain for this simulation.", retryable=True)


def company_create_for_job(job: ScheduledJob, claim: str) -> None:
    simulation = Simulation.objects.only(*SIMULATION_FIELDS).get(pk=job.simulation_id)
    company = company_ensure(simulation=simulation, index=int(job.payload["company"]), occurred_at=payload_instant(job))
    with scheduled_job_completing(job, claim) as completion:
        completion.result = _job_result(company)


def companies_create_for_jobs(jobs: list[ScheduledJob], claim: str) -> BatchOutcome:
    """The batch form: companies whose pool entry is at hand and whose domain is free, in one transaction."""
    simulations = Simulation.objects.only(*SIMULATION_FIELDS).in_bulk({job.simulation_id for job in jobs})
    planned: list[tuple[ScheduledJob, TakenCompany]] = []
    for simulation in simulations.values():
        own = [job for job in jobs if job.simulation_id == simulation.pk]
        try:
            found = companies_for_records(
                theme=simulation.theme,
                industry=simulation.industry,
                seed=simulation.seed,
                indexes=[int(job.payload["company"]) for job in own],
            )
        except PersonaError:
            continue
        for job in own:
            number = int(job.payload["company"])
            if number in found:
                planned.append((job, _company_built(simulation, number, found[number])))
    if not planned:
        return BatchOutcome()
    taken_domains = set(
        Company.objects.filter(
            simulation_id__in={job.simulation_id for job, _ in planned},
            domain__in={taken.data["domain"] for _, taken in planned},
        ).values_list("simulation_id", "domain")
    )
    existing = set(
        Company.objects.filter(
            simulation_id__in={job.simulation_id for job, _ in planned},
            record_index__in={int(job.payload["company"]) for job, _ in planned},
        ).values_list("simulation_id", "record_index")
    )
    kept: list[tuple[ScheduledJob, TakenCompany]] = []
    for job, taken in planned:
        domain, index = (job.simulation_id, taken.data["domain"]), (job.simulation_id, int(job.payload["company"]))
        # Leave clashes and companies made already to the one-by-one path, which sorts them out.
        if domain not in taken_domains and index not in existing:
            taken_domains.add(domain)
            existing.add(index)
            kept.append((job, taken))
    try:
        with scheduled_jobs_completing([job.pk for job, _ in kept], claim) as completion:
            ours = sorted(
                ((job, taken) for job, taken in kept if job.pk in completion.still_ours),
                key=lambda pick: (pick[0].simulation_id, pick[1].data["domain"]),
            )
            companies = Company.objects.bulk_create(
                Company(**_company_fields(job.simulation_id, int(job.payload["company"]), taken, payload_instant(job)))
                for job, taken in ours
            )
            records_changed(Company, [company.pk for company in companies])
            for (job, _), company in zip(ours, companies, strict=True):
                completion.results[job.pk] = _job_result(company)
            # In the same commit and in id order, as the contacts' batch counts its pool hits.
            hits = Counter(taken.pool_id for _, taken in ours if taken.pool_id is not None)
            for pool_id in sorted(hits):
                persona_pool_record_hits(pool_id=pool_id, hits=hits[pool_id])
    except IntegrityError:
        return BatchOutcome()  # another worker's company came first; the one-by-one path looks again
    return completion.outcome()


CREATE_COMPANY_HANDLER = JobHandler(
    job_type=JobType.CREATE_COMPANY, run=company_create_for_job, run_batch=companies_create_for_jobs
)


def _company_built(simulation: Simulation, index: int, taken: TakenCompany) -> TakenCompany:
    """The pool's company as this simulation has it: its domain as `email_domains` says, and at least as
    many employees as the contacts the simulation gives it over its whole run."""
    data = dict(taken.data)
    data["domain"] = domain_with_domains(data["domain"], email_domains=simulation.email_domains)
    data["employees"] = max(int(data.get("employees") or 1), _headcount(simulation, index))
    return dataclasses.replace(taken, data=data)


def _headcount(simulation: Simulation, index: int) -> int:
    if (
        simulation.total_records is None
        or simulation.scenario != Scenario.B2B
        or simulation.timeline_version < timeline_versions.COMPANY_PLACES_PEOPLE
    ):
        return 0
    counts = company_headcounts(
        seed=simulation.seed,
        contacts_per_company=simulation.contacts_per_company,
        total_records=simulation.total_records,
    )
    return int(counts[index]) if index < len(counts) else 0


def _company_fields(simulation_id: int, index: int, taken: TakenCompany, occurred_at: datetime) -> dict[str, Any]:
    data = taken.data
    return {
        "simulation_id": simulation_id,
        "record_index": index,
        "name": data["name"],
        "domain": data["domain"],
        "industry": data["industry"],
        "city": data.get("city", ""),
        "country": data.get("country", ""),
        "employees": int(data.get("employees") or 1),
        "source": taken.source,
        "occurred_at": occurred_at,
    }


def _job_result(company: Company) -> dict[str, Any]:
    return {"company_id": company.pk, "name": company.name, "domain": company.domain}


# --- the kind ------------------------------------------------------------------------------------------


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = [
            "id",
            "simulation",
            "name",
            "domain",
            "industry",
            "city",
            "country",
            "employees",
            "source",
            *DELIVERY_FIELDS,
            "occurred_at",
            "created_at",
        ]
        read_only_fields = fields


class CompanyAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "domain", "industry", "country", "employees", "simulation", "occurred_at"]
    list_filter = ["source", "simulation"]
    search_fields = ["name", "domain"]
    readonly_fields = ["simulation", "source", "record_index", "occurred_at", "created_at"]
    list_select_related = ["simulation"]


def _timeline(context: TimelineContext) -> tuple[list[TimelinePart], dict[str, Any]]:
    """In b2b, one company at its first contact's instant."""
    if not context.crm.has_companies:
        return [], {}
    first = context.draws.company_first
    return [TimelinePart(Step.COMPANY, context.offsets[first], np.arange(len(first), dtype=np.int64))], {}


def _volume(contacts: int, companies: int, crm: CrmSettings | None) -> tuple[int, int]:
    return companies, 0


COMPANIES = RecordKind(
    name="companies",
    model=Company,
    serializer=CompanySerializer,
    admin=CompanyAdmin,
    handlers=(CREATE_COMPANY_HANDLER,),
    steps=(
        TimelineStep(
            Step.COMPANY,
            "company",
            lambda entry: (JobType.CREATE_COMPANY, {"company": entry.index, "at": entry.instant.isoformat()}),
        ),
    ),
    timeline=_timeline,
    fields=(
        KindField("name", lambda c: c.name),
        KindField("domain", lambda c: c.domain),
        KindField("industry", lambda c: c.industry),
        KindField("city", lambda c: c.city),
        KindField("country", lambda c: c.country),
        KindField("numberofemployees", lambda c: c.employees),
        KindField("createdate", lambda c: c.occurred_at, delivered=False),
    ),
    delivered=True,
    volume=_volume,
    list_doc="Its companies (a planned b2b run), in the order they were founded in its timeline.",
)
