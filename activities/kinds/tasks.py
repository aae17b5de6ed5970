"""Tasks: follow-ups while a deal is open, due a few days later; most are done (some late), some stay open."""

from datetime import timedelta

from django.utils.dateparse import parse_datetime

from activities.job_types import CREATE_TASK, TASK_DONE
from activities.kinds import ACTIVITY_FIELDS, ActivitySerializer, activity_kind, beat_step, create_handler
from activities.making import Making, one_by_one, tasks_done_for_jobs
from activities.models import Task, TaskPriority, TaskStatus
from activities.story import Beat
from jobs.registry import JobHandler
from simulations.kinds import KindField


def _build(making: Making) -> Task:
    due = parse_datetime(making.job.payload["due_at"]) or making.occurred_at + timedelta(days=3)
    return Task(
        **making.common(),
        hs_task_subject=making.words.subject,
        hs_task_body=making.words.body,
        hs_task_priority=making.rng.choice(
            (TaskPriority.LOW, TaskPriority.MEDIUM, TaskPriority.MEDIUM, TaskPriority.HIGH)
        ),
        hs_task_status=TaskStatus.NOT_STARTED,
        due_at=due,
    )


class TaskSerializer(ActivitySerializer):
    class Meta:
        model = Task
        fields = [
            *ACTIVITY_FIELDS,
            "hs_task_subject",
            "hs_task_body",
            "hs_task_priority",
            "hs_task_status",
            "due_at",
            "completed_at",
        ]
        read_only_fields = fields


TASKS = activity_kind(
    name="tasks",
    model=Task,
    serializer=TaskSerializer,
    handlers=(
        create_handler(CREATE_TASK, Task, _build),
        JobHandler(
            job_type=TASK_DONE, run=one_by_one(tasks_done_for_jobs, writes_texts=False), run_batch=tasks_done_for_jobs
        ),
    ),
    steps=(beat_step(Beat.FOLLOW_UP_TASK, CREATE_TASK), beat_step(Beat.TASK_DONE, TASK_DONE)),
    fields=(
        KindField("hs_timestamp", lambda t: t.due_at),  # HubSpot's task date is its due date
        KindField("hs_task_subject", lambda t: t.hs_task_subject),
        KindField("hs_task_body", lambda t: t.hs_task_body),
        KindField("hs_task_priority", lambda t: t.hs_task_priority),
        KindField("hs_task_status", lambda t: t.hs_task_status),
        KindField("hs_task_completion_date", lambda t: t.completed_at, delivered=False),  # HubSpot sets it
        # HubSpot dates a completion when it sees it: the simulated one goes in SimCRM's own property.
        KindField("simcrm_completed_at", lambda t: t.completed_at, exported=False),
        KindField("hs_createdate", lambda t: t.occurred_at, delivered=False),
    ),
)
