"""The five activity kinds, each one module (emails, calls, meetings, notes, tasks), registered in
ActivitiesConfig.ready() after simulations' own kinds, whose records they refer to.

What they share: the timeline steps of their beats (activities.story), the job handler that makes
them (activities.making), the fields every activity has, in the API and in the exports.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from django.contrib import admin
from rest_framework import serializers

from activities.making import Build, activities_make_for_jobs, one_by_one
from activities.models import Activity
from activities.story import Beat
from jobs.registry import JobHandler
from simulations import timeline_versions
from simulations.kinds import (
    EntryJob,
    KindAssociation,
    KindField,
    RecordKind,
    TimelineContext,
    TimelinePart,
    TimelineStep,
)
from simulations.models import DELIVERY_FIELDS, DealStage, LifecycleStage

# The fields of every activity, in the API (the contract's), before its kind's own.
ACTIVITY_FIELDS = ("kind", "id", "simulation", "contact", "company", "deal", "occurred_at", *DELIVERY_FIELDS, "stage")


class ActivitySerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField(help_text="emails, calls, meetings, notes or tasks.")

    def get_kind(self, activity: Activity) -> str:
        return activity._meta.db_table  # each kind's table is named as the kind


# The export's last columns: the contact's email and the company's domain, so an import associates them.
ASSOCIATION_COLUMNS = (
    KindField("email", lambda a: a.contact.email, delivered=False),
    KindField("domain", lambda a: a.company.domain if a.company else "", delivered=False),
)
EXPORT_RELATED = ("contact", "company")
# Each activity is associated in the CRM with its contact, and with its company and deal where it has them.
ASSOCIATIONS = (
    KindAssociation("contacts", "contact"),
    KindAssociation("companies", "company"),
    KindAssociation("deals", "deal"),
)

_OPEN_DEAL_STAGES = (
    DealStage.QUALIFIED_TO_BUY,
    DealStage.PRESENTATION_SCHEDULED,
    DealStage.DECISION_MAKER_BOUGHT_IN,
    DealStage.CONTRACT_SENT,
)
_BEAT_STAGE = {
    Beat.INBOUND_EMAIL: LifecycleStage.LEAD,
    Beat.FORM_NOTE: LifecycleStage.LEAD,
    Beat.DISCOVERY_CALL: LifecycleStage.MARKETING_QUALIFIED,
    Beat.DISCOVERY_NOTE: LifecycleStage.MARKETING_QUALIFIED,
    Beat.DEAL_MEETING: DealStage.APPOINTMENT_SCHEDULED,
    Beat.PRESENTATION_MEETING: DealStage.PRESENTATION_SCHEDULED,
    Beat.PROPOSAL_EMAIL: DealStage.CONTRACT_SENT,
    Beat.KICKOFF_MEETING: DealStage.CLOSED_WON,
    Beat.LOSS_NOTE: DealStage.CLOSED_LOST,
    Beat.CHECK_IN_EMAIL: LifecycleStage.CUSTOMER,
}


def _stage_at(beat: Beat, entry: EntryJob, offset: int) -> str:
    """The lifecycle or deal stage the activity belongs to: its beat's, or where its contact stands then."""
    if beat in _BEAT_STAGE:
        return str(_BEAT_STAGE[beat])
    facts, index = entry.facts, entry.index
    if beat == Beat.MARKETING_EMAIL:
        return LifecycleStage.LEAD if offset < facts["story_mql_at"][index] else LifecycleStage.MARKETING_QUALIFIED
    passed = np.flatnonzero(facts["story_stage_at"][index] <= offset)
    return _OPEN_DEAL_STAGES[passed[-1]] if len(passed) else DealStage.APPOINTMENT_SCHEDULED


def beat_step(beat: Beat, job_type: str) -> TimelineStep:
    """The timeline step of a beat: a job of `job_type` whose payload says all its handler needs."""

    def job(entry: EntryJob) -> tuple[str, dict[str, Any]]:
        offset = round((entry.instant - entry.plan.starts_at) / timedelta(microseconds=1))
        payload: dict[str, Any] = {
            "index": entry.index,
            "at": entry.instant.isoformat(),
            "beat": int(beat),
            "stage": _stage_at(beat, entry, offset),
            # Whether its contact's deal is open by then: the job waits for it.
            "deal": bool(entry.facts["story_deal_at"][entry.index] <= offset),
        }
        if beat in (Beat.FOLLOW_UP_TASK, Beat.TASK_DONE):
            payload |= _task_times(entry, offset, done=beat == Beat.TASK_DONE)
        return job_type, payload

    if beat == Beat.TASK_DONE:
        return TimelineStep(int(beat), beat.name.lower(), job, creates=False)
    return TimelineStep(int(beat), beat.name.lower(), job, writes=beat.name)


def _task_times(entry: EntryJob, offset: int, *, done: bool) -> dict[str, str]:
    """A task's due date (when it is made) or its creation instant (when it is done), from its slot."""
    facts, index = entry.facts, entry.index
    column = facts["story_task_done" if done else "story_task_at"][index]
    slot = int(np.flatnonzero(column == offset)[0])
    if done:
        return {"task_at": _instant(entry, facts["story_task_at"][index][slot])}
    return {"due_at": _instant(entry, facts["story_task_due"][index][slot])}


def _instant(entry: EntryJob, offset: Any) -> str:
    return (entry.plan.starts_at + timedelta(microseconds=int(offset))).isoformat()


def create_handler(job_type: str, model: type[Activity], build: Build) -> JobHandler:
    run_batch = activities_make_for_jobs(build, model)
    return JobHandler(job_type=job_type, run=one_by_one(run_batch), run_batch=run_batch)


def activity_kind(
    *,
    name: str,
    model: type[Activity],
    serializer: type[serializers.Serializer],
    handlers: tuple[JobHandler, ...],
    steps: tuple[TimelineStep, ...],
    fields: tuple[KindField, ...],
    timeline: Callable[[TimelineContext], tuple[list[TimelinePart], dict[str, Any]]] | None = None,
) -> RecordKind:
    """An activity kind: its model, steps and HubSpot fields; what every activity kind shares filled in (the
    admin, the export's association columns, its delivery with its contact, company and deal, its version)."""
    return RecordKind(
        name=name,
        model=model,
        serializer=serializer,
        admin=ActivityAdmin,
        handlers=handlers,
        steps=steps,
        timeline=timeline,
        fields=(*fields, *ASSOCIATION_COLUMNS),
        export_related=EXPORT_RELATED,
        delivered=True,
        associations=ASSOCIATIONS,
        activity=True,
        since_version=timeline_versions.ACTIVITIES,
        list_doc=f"Its {name}, in the order of its timeline.",
    )


class ActivityAdmin(admin.ModelAdmin):
    list_display = ["id", "__str__", "stage", "contact", "simulation", "occurred_at"]
    list_filter = ["stage", "simulation"]
    list_select_related = ["simulation", "contact"]
    # Activities are made by the timeline's jobs; the admin shows them.
    readonly_fields = ["simulation", "contact", "company", "deal", "beat", "stage", "occurred_at", "created_at"]


def activity_kinds() -> list[RecordKind]:
    from activities.kinds.calls import CALLS
    from activities.kinds.emails import EMAILS
    from activities.kinds.meetings import MEETINGS
    from activities.kinds.notes import NOTES
    from activities.kinds.tasks import TASKS

    return [EMAILS, CALLS, MEETINGS, NOTES, TASKS]
