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


class Simulation(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="simulations")
    name = models.CharField(max_length=255, blank=True)
    theme = models.CharField(max_length=255)
    industry = models.CharField(max_length=255)
    record_frequency = models.CharField(max_length=8, choices=RecordFrequency.choices, default=RecordFrequency.HOURLY)
    status = models.CharField(max_length=16, choices=SimulationStatus.choices, default=SimulationStatus.RUNNING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
        ]

    def __str__(self) -> str:
        return self.name or f"{self.theme} / {self.industry}"

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
    phone = models.CharField(max_length=255, blank=True, default="")
    city = models.CharField(max_length=255, blank=True, default="")
    country = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=16, choices=ContactSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "contacts"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["simulation", "email"], name="contact_email_unique_per_simulation"),
        ]

    def __str__(self) -> str:
        return f"{self.firstname} {self.lastname} <{self.email}>"
