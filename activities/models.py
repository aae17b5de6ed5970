"""The five activity kinds' tables, named after HubSpot's engagement objects, their fields after HubSpot's
properties (../shared/CONTRACT.md, Activities), as contacts' are.

Each activity belongs to a contact and, where they exist when it happens, to the contact's company and
deal. `beat` says which moment of the funnel's story it tells (activities.story.Beat); with its contact and
instant it is the activity's key in the timeline, so a retried job never makes it twice.
"""

from typing import ClassVar

from django.db import models

from simulations.models import Company, Contact, Deal, Delivered, Simulation, pending_index


class Activity(Delivered):
    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    beat = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=32, help_text="The lifecycle or deal stage it belongs to.")
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Made in the CRM with its associations (a CRM that creates activities with them inline).
    crm_associated = models.BooleanField(default=False)

    # The field its text is in (HubSpot names each kind's its own way).
    text_field: ClassVar[str]

    class Meta:
        abstract = True
        ordering = ["occurred_at", "id"]

    @property
    def text(self) -> str:
        return str(getattr(self, self.text_field))


def _once(table: str) -> list[models.BaseConstraint]:
    return [models.UniqueConstraint(fields=["simulation", "contact", "beat", "occurred_at"], name=f"{table}_once")]


def _indexes(table: str) -> list[models.Index]:
    return [
        models.Index(fields=["simulation", "occurred_at", "id"], name=f"{table}_timeline_idx"),
        models.Index(fields=["contact", "occurred_at"], name=f"{table}_contact_idx"),
        models.Index(fields=["deal", "occurred_at"], name=f"{table}_deal_idx"),
        pending_index(table),
    ]


class EmailDirection(models.TextChoices):
    EMAIL = "EMAIL", "Sent"
    INCOMING_EMAIL = "INCOMING_EMAIL", "Received"
    FORWARDED_EMAIL = "FORWARDED_EMAIL", "Forwarded"


class Email(Activity):
    text_field = "hs_email_text"
    hs_email_subject = models.CharField(max_length=255)
    hs_email_text = models.TextField()
    hs_email_direction = models.CharField(max_length=16, choices=EmailDirection.choices)
    hs_email_status = models.CharField(max_length=16, default="SENT")
    hs_email_from_email = models.CharField(max_length=254)
    hs_email_to_email = models.CharField(max_length=254)

    class Meta(Activity.Meta):
        db_table = "emails"
        constraints = _once("emails")
        indexes = _indexes("emails")


class CallDirection(models.TextChoices):
    INBOUND = "INBOUND", "Inbound"
    OUTBOUND = "OUTBOUND", "Outbound"


class Call(Activity):
    text_field = "hs_call_body"
    hs_call_title = models.CharField(max_length=255)
    hs_call_body = models.TextField()
    hs_call_direction = models.CharField(max_length=8, choices=CallDirection.choices)
    hs_call_duration = models.PositiveIntegerField(help_text="Milliseconds.")
    hs_call_status = models.CharField(max_length=16, default="COMPLETED")

    class Meta(Activity.Meta):
        db_table = "calls"
        constraints = _once("calls")
        indexes = _indexes("calls")


class Meeting(Activity):
    text_field = "hs_meeting_body"
    hs_meeting_title = models.CharField(max_length=255)
    hs_meeting_body = models.TextField()
    hs_meeting_start_time = models.DateTimeField()
    hs_meeting_end_time = models.DateTimeField()
    hs_meeting_outcome = models.CharField(max_length=16, default="COMPLETED")

    class Meta(Activity.Meta):
        db_table = "meetings"
        constraints = _once("meetings")
        indexes = _indexes("meetings")


class Note(Activity):
    text_field = "hs_note_body"
    hs_note_body = models.TextField()

    class Meta(Activity.Meta):
        db_table = "notes"
        constraints = _once("notes")
        indexes = _indexes("notes")


class TaskPriority(models.TextChoices):
    LOW = "LOW", "Low"
    MEDIUM = "MEDIUM", "Medium"
    HIGH = "HIGH", "High"


class TaskStatus(models.TextChoices):
    NOT_STARTED = "NOT_STARTED", "Not started"
    COMPLETED = "COMPLETED", "Completed"


class Task(Activity):
    text_field = "hs_task_body"
    hs_task_subject = models.CharField(max_length=255)
    hs_task_body = models.TextField()
    hs_task_priority = models.CharField(max_length=8, choices=TaskPriority.choices)
    hs_task_status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED)
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(Activity.Meta):
        db_table = "tasks"
        constraints = [
            *_once("tasks"),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True) | models.Q(completed_at__gte=models.F("occurred_at")),
                name="task_completed_after_created",
            ),
        ]
        indexes = _indexes("tasks")
