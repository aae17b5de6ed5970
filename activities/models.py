"""The five activity kinds' tables, named after HubSpot's engagement objects (../shared/CONTRACT.md, Activities).

Each activity belongs to a contact and, where they exist when it happens, to the contact's company and
deal. `beat` says which moment of the funnel's story it tells (activities.story.Beat); with its contact and
instant it is the activity's key in the timeline, so a retried job never makes it twice.
"""

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
    # When a request that may have created it in the CRM went unanswered: found there before it is sent again.
    crm_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["occurred_at", "id"]


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
    subject = models.CharField(max_length=255)
    text = models.TextField()
    direction = models.CharField(max_length=16, choices=EmailDirection.choices)
    status = models.CharField(max_length=16, default="SENT")
    from_email = models.CharField(max_length=254)
    to_email = models.CharField(max_length=254)

    class Meta(Activity.Meta):
        db_table = "emails"
        constraints = _once("emails")
        indexes = _indexes("emails")


class CallDirection(models.TextChoices):
    INBOUND = "INBOUND", "Inbound"
    OUTBOUND = "OUTBOUND", "Outbound"


class Call(Activity):
    title = models.CharField(max_length=255)
    body = models.TextField()
    direction = models.CharField(max_length=8, choices=CallDirection.choices)
    duration_ms = models.PositiveIntegerField()
    status = models.CharField(max_length=16, default="COMPLETED")

    class Meta(Activity.Meta):
        db_table = "calls"
        constraints = _once("calls")
        indexes = _indexes("calls")


class Meeting(Activity):
    title = models.CharField(max_length=255)
    body = models.TextField()
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    outcome = models.CharField(max_length=16, default="COMPLETED")

    class Meta(Activity.Meta):
        db_table = "meetings"
        constraints = _once("meetings")
        indexes = _indexes("meetings")


class Note(Activity):
    body = models.TextField()

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
    subject = models.CharField(max_length=255)
    body = models.TextField()
    priority = models.CharField(max_length=8, choices=TaskPriority.choices)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED)
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
