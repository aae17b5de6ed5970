from django.conf import settings
from django.db import models

from core.errors import ConflictError
from personas.models import PersonaSource
from simulations import timeline_versions


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


class Scenario(models.TextChoices):
    B2B = "b2b", "B2B: contacts work for companies"
    B2C = "b2c", "B2C: no companies"


class EmailDomains(models.TextChoices):
    """Where generated company and email domains point (see simulations/domains.py)."""

    RESERVED = "reserved", "Reserved: subdomains of example.com, .org and .net, no real mailbox"
    REALISTIC = "realistic", "Realistic: lifelike domains, which may belong to real businesses"


class ActivityLevel(models.TextChoices):
    """How many activities tell a planned simulation's story (activities.story.LEVELS)."""

    NONE = "none", "None"
    LIGHT = "light", "Light"
    NORMAL = "normal", "Normal"
    BUSY = "busy", "Busy"


class LifecycleStage(models.TextChoices):
    """The lifecycle stages CRMs share (HubSpot's internal values), in the only order a contact moves through them."""

    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MARKETING_QUALIFIED = "marketingqualifiedlead", "Marketing qualified lead"
    SALES_QUALIFIED = "salesqualifiedlead", "Sales qualified lead"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    EVANGELIST = "evangelist", "Evangelist"
    OTHER = "other", "Other"


class DealStage(models.TextChoices):
    """The default sales pipeline (HubSpot's internal values), in order; a deal may skip stages but never goes back."""

    APPOINTMENT_SCHEDULED = "appointmentscheduled", "Appointment scheduled"
    QUALIFIED_TO_BUY = "qualifiedtobuy", "Qualified to buy"
    PRESENTATION_SCHEDULED = "presentationscheduled", "Presentation scheduled"
    DECISION_MAKER_BOUGHT_IN = "decisionmakerboughtin", "Decision maker bought in"
    CONTRACT_SENT = "contractsent", "Contract sent"
    CLOSED_WON = "closedwon", "Closed won"
    CLOSED_LOST = "closedlost", "Closed lost"


LIFECYCLE_ORDER: dict[str, int] = {stage: rank for rank, stage in enumerate(LifecycleStage.values)}
# closedlost can follow any open stage, and closedwon and closedlost are both final: they share a rank.
DEAL_ORDER: dict[str, int] = {stage: min(rank, 5) for rank, stage in enumerate(DealStage.values)}


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
    # The whole CRM of a planned simulation: companies, and a funnel of stage moves drawn from seed.
    scenario = models.CharField(max_length=8, choices=Scenario.choices, default=Scenario.B2B)
    contacts_per_company = models.PositiveSmallIntegerField(default=3)
    deal_rate = models.FloatField(default=0.3)
    win_rate = models.FloatField(default=0.25)
    sales_cycle_days = models.PositiveSmallIntegerField(default=30)
    email_domains = models.CharField(max_length=16, choices=EmailDomains.choices, default=EmailDomains.RESERVED)
    # Simulations planned before activities existed (timeline version 2 and older) have none.
    activity_level = models.CharField(max_length=8, choices=ActivityLevel.choices, default=ActivityLevel.NORMAL)
    timeline_version = models.PositiveSmallIntegerField(
        default=timeline_versions.CURRENT,
        help_text="How its records are drawn (simulations/timeline_versions.py); a replay keeps it.",
    )
    # Where its records are delivered is connectors' to say (connectors.models.SimulationConnection).
    # The planner's place in the simulation's timeline (companies, contacts and stage moves, in time
    # order): entries 0..planned_entries-1 have jobs; plan_finished once the timeline is all planned.
    planned_entries = models.PositiveIntegerField(default=0)
    plan_finished = models.BooleanField(default=False)

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
            models.CheckConstraint(
                condition=models.Q(email_domains__in=EmailDomains.values), name="simulation_email_domains_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(activity_level__in=ActivityLevel.values), name="simulation_activity_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    scenario__in=Scenario.values,
                    contacts_per_company__gte=1,
                    contacts_per_company__lte=50,
                    deal_rate__gte=0,
                    deal_rate__lte=1,
                    win_rate__gte=0,
                    win_rate__lte=1,
                    sales_cycle_days__gte=1,
                    sales_cycle_days__lte=365,
                ),
                name="simulation_crm_valid",
            ),
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


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SYNCED = "synced", "Synced"
    FAILED = "failed", "Failed"


class Delivered(models.Model):
    """A record a connected CRM receives: its id there, and where its delivery stands.

    `sync_status` is null for a simulation without a connection; `sync_version` counts the changes
    queued, so a delivery that sent an older state does not mark a newer one delivered.
    """

    crm_id = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001 (the contract says null)
    sync_status = models.CharField(max_length=16, choices=SyncStatus.choices, null=True, blank=True)  # noqa: DJ001
    sync_error = models.TextField(blank=True, default="")
    sync_version = models.PositiveIntegerField(default=0)
    # When a request that may have created it in the CRM went unanswered (a CRM that creates this kind rather
    # than upserting it): found there before it is sent again.
    crm_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


# What the API shows of a delivered record's delivery.
DELIVERY_FIELDS = ("crm_id", "sync_status", "sync_error")


def pending_index(table: str) -> models.Index:
    # The delivery's question: which records of this simulation wait to be sent?
    return models.Index(
        fields=["simulation", "id"], name=f"{table}_pending_idx", condition=models.Q(sync_status="pending")
    )


class Contact(Delivered):
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
    lifecyclestage = models.CharField(max_length=32, choices=LifecycleStage.choices, default=LifecycleStage.LEAD)
    company_record = models.ForeignKey(
        "Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts", db_column="company_id"
    )
    # Its place in its simulation's schedule: the stage moves of the funnel find their contact by it.
    record_index = models.PositiveIntegerField(null=True, blank=True)
    # Its association with its company exists in the connected CRM.
    crm_associated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "contacts"
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["simulation", "email"], name="contact_email_unique_per_simulation"),
            models.UniqueConstraint(fields=["simulation", "record_index"], name="contact_record_unique_per_simulation"),
            models.CheckConstraint(
                condition=models.Q(lifecyclestage__in=LifecycleStage.values), name="contact_lifecyclestage_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["simulation", "occurred_at", "id"], name="contacts_timeline_idx"),
            pending_index("contacts"),
        ]

    def __str__(self) -> str:
        return f"{self.firstname} {self.lastname} <{self.email}>"


class Company(Delivered):
    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="companies")
    name = models.CharField(max_length=255)
    domain = models.CharField(max_length=255)
    industry = models.CharField(max_length=255)
    city = models.CharField(max_length=255, blank=True, default="")
    country = models.CharField(max_length=255, blank=True, default="")
    employees = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=16, choices=PersonaSource.choices)
    record_index = models.PositiveIntegerField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "companies"
        verbose_name_plural = "companies"
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["simulation", "domain"], name="company_domain_unique_per_simulation"),
            models.UniqueConstraint(fields=["simulation", "record_index"], name="company_record_unique_per_simulation"),
        ]
        indexes = [
            models.Index(fields=["simulation", "occurred_at", "id"], name="companies_timeline_idx"),
            pending_index("companies"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})"


class Deal(Delivered):
    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="deals")
    name = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    pipeline = models.CharField(max_length=32, default="default")
    dealstage = models.CharField(max_length=32, choices=DealStage.choices, default=DealStage.APPOINTMENT_SCHEDULED)
    closedate = models.DateTimeField()
    # A contact opens at most one deal in a simulation's funnel.
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="deal")
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals")
    occurred_at = models.DateTimeField()
    # Its associations with its contact and company exist in the connected CRM.
    crm_associated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "deals"
        ordering = ["occurred_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(dealstage__in=DealStage.values), name="deal_stage_valid"),
        ]
        indexes = [
            models.Index(fields=["simulation", "occurred_at", "id"], name="deals_timeline_idx"),
            pending_index("deals"),
        ]

    def __str__(self) -> str:
        return self.name


class EventObject(models.TextChoices):
    CONTACT = "contact", "Contact"
    DEAL = "deal", "Deal"


class EventProperty(models.TextChoices):
    LIFECYCLE_STAGE = "lifecyclestage", "Lifecycle stage"
    DEAL_STAGE = "dealstage", "Deal stage"


class RecordEvent(models.Model):
    """One stage a record took, its first one included (old_value null)."""

    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="events")
    object_type = models.CharField(max_length=16, choices=EventObject.choices)
    object_id = models.BigIntegerField()
    property = models.CharField(max_length=32, choices=EventProperty.choices)
    # The contract says null (not empty) for a record's first stage.
    old_value = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    new_value = models.CharField(max_length=32)
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "record_events"
        ordering = ["occurred_at", "id"]
        constraints = [
            # A record takes each stage once: a retried or replayed move cannot write its event twice.
            models.UniqueConstraint(
                fields=["object_type", "object_id", "property", "new_value"], name="record_event_stage_once"
            ),
            models.CheckConstraint(
                condition=models.Q(object_type="contact", property="lifecyclestage")
                | models.Q(object_type="deal", property="dealstage"),
                name="record_event_property_valid",
            ),
        ]
        indexes = [models.Index(fields=["simulation", "occurred_at", "id"], name="record_events_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}: {self.property} {self.old_value} -> {self.new_value}"
