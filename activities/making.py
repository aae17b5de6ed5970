"""The jobs that make activities: one CREATE_<KIND> job per activity, and TASK_DONE when a task is done.

An activity needs its contact, and, when its timeline says the contact's deal is open by then, the deal:
a job whose records are not made yet waits (deferred without using an attempt) while an earlier job of
its contact is unfinished, as the funnel's moves do, and fails with a readable error when that job will
never come. Everything an activity is, words included, is drawn from its simulation's seed and its place
in the timeline, so a replay makes the same activities at the same instants with the same texts.

Reads contacts and deals without locks: activities only refer to them. Locks: the claimed job rows, then
(TASK_DONE) the tasks, in id order.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from activities.job_types import CREATE_TASK
from activities.models import Activity, Task, TaskStatus
from activities.story import Beat
from activities.texts import Templates, Words, activity_words, rep_of, templates_of, templates_write
from jobs.models import JobStatus, ScheduledJob
from jobs.registry import BatchOutcome, JobDeferred, JobFailed, LostClaim
from jobs.runner import scheduled_jobs_completing
from personas.errors import PersonaError
from simulations.delivery import records_changed
from simulations.kinds import record_kind
from simulations.kinds.moves import FUNNEL_JOB_TYPES, WAIT_SECONDS, earlier_jobs_unfinished
from simulations.models import Contact, Deal, Simulation
from simulations.payloads import payload_index, payload_instant

# What an activity may wait for: its contact and deal, and (TASK_DONE) its task.
WAITED_FOR = (*FUNNEL_JOB_TYPES, CREATE_TASK)


@dataclass(frozen=True)
class Making:
    """What one activity is made from: its job, its records and its words."""

    job: ScheduledJob
    simulation: Simulation
    contact: Contact
    deal: Deal | None
    beat: Beat
    occurred_at: datetime
    words: Words
    rep: str  # the salesperson who owns the contact
    rng: random.Random  # the activity's own generator, for the kind's other draws

    def common(self) -> dict[str, Any]:
        return {
            "simulation_id": self.simulation.pk,
            "contact": self.contact,
            "company_id": self.contact.company_record_id,
            "deal": self.deal,
            "beat": int(self.beat),
            "stage": self.job.payload["stage"],
            "occurred_at": self.occurred_at,
        }


# A kind's model instance from what it is made of (activities/kinds/).
Build = Callable[[Making], Activity]


def activity_generator(seed: int, job: ScheduledJob) -> random.Random:
    """An activity's own generator: a string seed is hashed by SHA-512, the same in every process."""
    return random.Random(f"{seed}:{job.payload['beat']}:{payload_index(job)}:{job.payload['at']}")


def _slot_values(contact: Contact, deal: Deal | None, seed: int) -> dict[str, str]:
    return {
        "first_name": contact.firstname,
        "last_name": contact.lastname,
        "full_name": f"{contact.firstname} {contact.lastname}",
        "company": contact.company or "their team",
        "job_title": contact.jobtitle,
        "city": contact.city or "their office",
        "rep": rep_of(seed, contact.record_index or 0),
        "amount": f"${deal.amount:,.0f}" if deal is not None else "the quote",
        "deal": deal.name if deal is not None else f"{contact.company} deal",
    }


def activities_make_for_jobs(build: Build, model: type[Activity]) -> Any:
    """The batch handler of one kind's CREATE jobs."""

    def run_batch(jobs: list[ScheduledJob], claim: str) -> BatchOutcome:
        with scheduled_jobs_completing([job.pk for job in jobs], claim) as completion:
            ours = [job for job in jobs if job.pk in completion.still_ours]
            contacts, deals, simulations = _records_of(ours)
            made: list[tuple[ScheduledJob, Activity]] = []
            waiting: list[ScheduledJob] = []
            templates: dict[tuple[int, int], Templates | None] = {}
            for job in ours:
                contact = contacts.get((job.simulation_id, payload_index(job)))
                # Its deal only when the timeline has it open by the activity's instant (a backfill makes
                # records ahead of their instants).
                deal = deals.get(contact.pk) if contact is not None and job.payload.get("deal") else None
                if contact is None or (job.payload.get("deal") and deal is None):
                    waiting.append(job)
                    continue
                simulation = simulations[job.simulation_id]
                beat = Beat(job.payload["beat"])
                key = (simulation.pk, beat)
                if key not in templates:
                    templates[key] = templates_of(beat=beat, theme=simulation.theme, industry=simulation.industry)
                found = templates[key]
                if found is None:
                    continue  # the model has not written this beat's texts yet: the one-by-one path asks it
                rng = activity_generator(simulation.seed, job)
                words = activity_words(
                    templates=found,
                    industry=simulation.industry,
                    rng=rng,
                    values=_slot_values(contact, deal, simulation.seed),
                )
                rep = rep_of(simulation.seed, contact.record_index or 0)
                making = Making(job, simulation, contact, deal, beat, payload_instant(job), words, rep, rng)
                made.append((job, build(making)))
            fresh = _not_made_yet(model, made)
            model._default_manager.bulk_create([activity for _, activity in fresh])
            if record_kind(model._meta.db_table).delivered:  # each kind's table is named as the kind
                records_changed(model, [activity.pk for _, activity in fresh])
            for job, activity in made:
                completion.results[job.pk] = {"object": model._meta.db_table, "id": activity.pk}
            _defer_waiting(waiting, completion.deferrals)
        return completion.outcome()

    return run_batch


def _records_of(
    jobs: list[ScheduledJob],
) -> tuple[dict[tuple[int, int], Contact], dict[int, Deal], dict[int, Simulation]]:
    wanted = Q()
    by_simulation: dict[int, set[int]] = {}
    for job in jobs:
        by_simulation.setdefault(job.simulation_id, set()).add(payload_index(job))
    if not by_simulation:
        return {}, {}, {}
    for simulation_id, indexes in by_simulation.items():
        wanted |= Q(simulation_id=simulation_id, record_index__in=indexes)
    contacts = {(c.simulation_id, c.record_index or 0): c for c in Contact.objects.filter(wanted)}
    deals = {deal.contact_id: deal for deal in Deal.objects.filter(contact__in=[c.pk for c in contacts.values()])}
    simulations = Simulation.objects.in_bulk(list(by_simulation))
    return contacts, deals, simulations


def _not_made_yet(
    model: type[Activity], made: list[tuple[ScheduledJob, Activity]]
) -> list[tuple[ScheduledJob, Activity]]:
    """Leave out activities already made (their key is taken), and give those the existing row's id."""
    if not made:
        return []
    existing = {
        (row.contact_id, row.beat, row.occurred_at): row.pk
        for row in model._default_manager.filter(
            contact__in={activity.contact_id for _, activity in made},
            beat__in={activity.beat for _, activity in made},
            occurred_at__in={activity.occurred_at for _, activity in made},
        ).only("id", "contact_id", "beat", "occurred_at")
    }
    fresh: list[tuple[ScheduledJob, Activity]] = []
    for job, activity in made:
        key = (activity.contact_id, activity.beat, activity.occurred_at)
        if key in existing:
            activity.pk = existing[key]
        else:
            existing[key] = -1
            fresh.append((job, activity))
    return fresh


def _defer_waiting(waiting: list[ScheduledJob], deferrals: dict[int, tuple[float, str]]) -> None:
    """Defer the jobs whose records an unfinished earlier job of their contact will make; the others
    are left to the one-by-one path, which fails them."""
    coming = earlier_jobs_unfinished(waiting, WAITED_FOR)
    for job in waiting:
        if job.pk in coming:
            deferrals[job.pk] = (
                WAIT_SECONDS,
                f"Waiting for contact #{payload_index(job)} (or its deal) to be made by an earlier job; "
                "not an error, and no attempt is used.",
            )


def one_by_one(
    run_batch: Callable[[list[ScheduledJob], str], BatchOutcome], *, writes_texts: bool = True
) -> Callable[[ScheduledJob, str], None]:
    """The one-by-one form of a batch handler: its beat's texts written first when they are not yet (a model
    call, outside any transaction), then done, deferred, or failed with what to do about it."""

    def run(job: ScheduledJob, claim: str) -> None:
        if writes_texts:
            simulation = Simulation.objects.only("theme", "industry").get(pk=job.simulation_id)
            try:
                templates_write(beat=Beat(job.payload["beat"]), theme=simulation.theme, industry=simulation.industry)
            except PersonaError as error:
                raise JobFailed(str(error), retryable=error.retryable, retry_after=error.retry_after) from error
        outcome = run_batch([job], claim)
        if job.pk in outcome.completed or job.pk in outcome.deferred:
            return
        if not ScheduledJob.objects.filter(pk=job.pk, claimed_by=claim, status=JobStatus.PROCESSING).exists():
            raise LostClaim(job.pk)
        if earlier_jobs_unfinished([job], WAITED_FOR):
            raise JobDeferred("Waiting for an earlier job of this contact.", delay=WAIT_SECONDS)
        raise JobFailed(
            f"Contact #{payload_index(job)} of this simulation (or its deal, or the task this job completes) "
            "was never made: the job that makes it failed or was cancelled. Retry that job, then this one.",
            retryable=False,
        )

    return run


def tasks_done_for_jobs(jobs: list[ScheduledJob], claim: str) -> BatchOutcome:
    """TASK_DONE: the task its contact was given at `task_at` is completed at `at`."""
    with scheduled_jobs_completing([job.pk for job in jobs], claim) as completion:
        ours = [job for job in jobs if job.pk in completion.still_ours]
        contacts, _, _ = _records_of(ours)
        keys = {
            job.pk: (contacts[key].pk, payload_instant(job, "task_at"))
            for job in ours
            if (key := (job.simulation_id, payload_index(job))) in contacts
        }
        tasks = {
            (task.contact_id, task.occurred_at): task
            for task in Task.objects.select_for_update()
            .filter(
                contact__in={contact for contact, _ in keys.values()},
                beat=Beat.FOLLOW_UP_TASK,
                occurred_at__in={at for _, at in keys.values()},
            )
            .order_by("id")
        }
        done: list[Task] = []
        waiting: list[ScheduledJob] = []
        for job in ours:
            task = tasks.get(keys[job.pk]) if job.pk in keys else None
            if task is None:
                waiting.append(job)
                continue
            if task.hs_task_status != TaskStatus.COMPLETED:
                task.hs_task_status, task.completed_at = TaskStatus.COMPLETED, payload_instant(job)
                done.append(task)
            completion.results[job.pk] = {"object": "tasks", "id": task.pk, "status": task.hs_task_status}
        Task.objects.bulk_update(done, ["hs_task_status", "completed_at"])
        if record_kind("tasks").delivered:
            records_changed(Task, [task.pk for task in done])
        _defer_waiting(waiting, completion.deferrals)
    return completion.outcome()
