from django.conf import settings
from django.db import models

from core.errors import ConflictError
from personas.models import PersonaSource


class RecordFrequency(models.TextChoices):
    HOURLY = "1h", "Every hour"
    FOUR_HOURS = "4hrs", "Every 4 hours"
    DAILY = "1day", "Every day"
    WEEKLY = "1wk", "Every week"
    MONTHLY = "1mo", "Every month"


FREQUENCY_MINUTES: dict[str, int] = {
    RecordFrequency.HOURLY: 60,
    RecordFrequency.FOUR_HOURS: 240,
    RecordFrequency.DAILY: 1440,
    RecordFrequency.WEEKLY: 10080,
    RecordFrequency.MONTHLY: 43200,
}


class SimulationStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


SIMULATION_TRANSITIONS: dict[str, set[str]] = {
    SimulationStatus.RUNNING: {SimulationStatus.PAUSED, SimulationStatus.COMPLETED, SimulationStatus.CANCELLED},
    SimulationStatus.PAUSED: {SimulationStatus.RUNNING, SimulationStatus.CANCELLED},
    # A retried job brings a completed simulation back to life.
    SimulationStatus.COMPLETED: {SimulationStatus.RUNNING},
    SimulationStatus.CANCELLED: set(),
}


class Distribution(models.TextChoices):
    UNIFORM = "uniform", "Uniform"
    FRONT_LOADED = "front_loaded", "Front-loaded"
    BACK_LOADED = "back_loaded", "Back-loaded"
    BELL_CURVE = "bell_curve", "Bell curve"
    RANDOM_BURSTS = "random_bursts", "Random bursts"
    BUSINESS_HOURS = "business_hours", "Business hours"
    WEEKEND_SURGE = "weekend_surge", "Weekend surge"
    CUSTOM = "custom", "Custom"


MAX_TOTAL_RECORDS = 1_000_000
MAX_SEED = 2**63 - 1


class Simulation(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="simulations")
    name = models.CharField(max_length=255, blank=True)
    theme = models.CharField(max_length=255)
    industry = models.CharField(max_length=255)
    # The original schedule's pace; a planned simulation (total_records set) keeps the default, unused.
    record_frequency = models.CharField(max_length=8, choices=RecordFrequency.choices, default=RecordFrequency.HOURLY)
    status = models.CharField(max_length=16, choices=SimulationStatus.choices, default=SimulationStatus.RUNNING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A planned simulation: total_records along a curve over [starts_at, ends_at), drawn from seed.
    # Null or blank for the original 5-job schedule, except seed, which every simulation has.
    total_records = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    distribution = models.CharField(max_length=16, choices=Distribution.choices, blank=True, default="")
    curve_weights = models.JSONField(null=True, blank=True)
    timezone = models.CharField(max_length=64, blank=True, default="")
    seed = models.BigIntegerField(default=0)
    # How many of its records the planner has made jobs for (records 0..planned_records-1).
    planned_records = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "simulations"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SimulationStatus.values), name="simulation_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(record_frequency__in=RecordFrequency.values), name="simulation_frequency_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(total_records__isnull=True)
                | models.Q(
                    total_records__gte=1,
                    total_records__lte=MAX_TOTAL_RECORDS,
                    planned_records__lte=models.F("total_records"),
                    starts_at__isnull=False,
                    ends_at__gt=models.F("starts_at"),
                    distribution__in=Distribution.values,
                ),
                name="simulation_plan_valid",
            ),
            models.CheckConstraint(condition=models.Q(seed__gte=0), name="simulation_seed_valid"),
        ]
        indexes = [
            # The planner's question, asked on every pass: which running simulations still have records to plan?
            models.Index(
                fields=["id"],
                name="simulations_to_plan_idx",
                condition=models.Q(status="running", total_records__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.theme} / {self.industry}"

    @property
    def is_planned(self) -> bool:
        return self.total_records is not None

    def transition_to(self, new_status: str) -> None:
        """Move to new_status, or raise ConflictError when the move is not allowed."""
        if new_status == self.status:
            return
        if new_status not in SIMULATION_TRANSITIONS[self.status]:
            raise ConflictError(f"A {self.status} simulation cannot become {new_status}.")
        self.status = new_status


# A contact's source is the source of the persona it was made from.
ContactSource = PersonaSource


class Contact(models.Model):
    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="contacts")
    # One contact per job, enforced by the unique column; a purged job leaves its contact behind.
    job = models.OneToOneField(
        "jobs.ScheduledJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="contact"
    )
    firstname = models.CharField(max_length=255)
    lastname = models.CharField(max_length=255)
    email = models.EmailField(max_length=254)
    jobtitle = models.CharField(max_length=255)
    company = models.CharField(max_length=255)
    industry = models.CharField(max_length=255)
    # Its instant in the simulated timeline (for a backfill, in the past); created_at is when it was made.
    occurred_at = models.DateTimeField(null=True, blank=True)
    phone = models.CharField(max_length=255, blank=True, default="")
    city = models.CharField(max_length=255, blank=True, default="")
    country = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=16, choices=ContactSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "contacts"
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["simulation", "email"], name="contact_email_unique_per_simulation"),
        ]
        indexes = [models.Index(fields=["simulation", "occurred_at", "id"], name="contacts_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.firstname} {self.lastname} <{self.email}>"
