import uuid

from django.conf import settings
from django.db import models, transaction

from connectors.crm.base import (
    crm_default_base_url,
    crm_default_kind,
    crm_default_tier,
    crm_kind_choices,
    crm_tier_choices,
)

# The kinds are the registered adapters' (connectors.crm.base); the API's enum is named after this
# (SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES).
ConnectionKind = crm_kind_choices


class ConnectionStatus(models.TextChoices):
    OK = "ok", "OK"
    INVALID = "invalid", "Invalid token: deliveries held"
    RATE_LIMITED = "rate_limited", "Daily limit reached: deliveries held"


class Connection(models.Model):
    """A CRM account that simulations deliver to, through the adapter of its `kind` (connectors.crm).
    The token is stored encrypted (connectors.crypto)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(max_length=255)
    # No check constraints: the registered adapters say which kinds exist (a test registers one of its own),
    # and which tiers each accepts. The defaults are the first adapter's: connection_create fills in those of
    # the kind it is given.
    kind = models.CharField(max_length=16, choices=crm_kind_choices, default=crm_default_kind)
    base_url = models.URLField(max_length=500, default=crm_default_base_url)
    # The plan of the CRM account, which sets the limits of its adapter's budget.
    tier = models.CharField(max_length=16, choices=crm_tier_choices, default=crm_default_tier)
    # The CRM's secret (an access token, or an OAuth client secret where its adapter says `client_secret`).
    token_encrypted = models.TextField(editable=False)
    token_last4 = models.CharField(max_length=4, editable=False)
    # The OAuth client (consumer key) of a CRM whose adapter fetches its own access tokens; empty otherwise.
    client_id = models.CharField(max_length=255, blank=True, default="")
    # The share of the account's daily API allocation SimCRM may use, of a CRM that reports its daily usage
    # (CrmAdapter.daily_share_default); null for a CRM whose daily limit is a fixed number per tier.
    daily_share = models.FloatField(null=True, blank=True)
    # The account's daily usage as the CRM's last answer reported it: {"max": allocation, "others": requests
    # other apps used in the last day (reported minus SimCRM's own), "at": epoch seconds}.
    crm_usage = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.OK)
    last_error = models.TextField(blank=True, default="")
    # The CRM account's id, as its token check answers it (the API's name for it).
    portal_id = models.BigIntegerField(null=True, blank=True)
    # No request before this instant: a 429's Retry-After, or the next probe of a daily limit.
    blocked_until = models.DateTimeField(null=True, blank=True)
    # SimCRM's own fields known to exist in the CRM, by record kind (the adapter's prepare), e.g.
    # {"deals": ["simcrm_appointmentscheduled_at", ..., "simcrm_id"], ...}.
    custom_properties = models.JSONField(default=dict, blank=True)
    # Counters for /metrics: every request sent, and the CRM's rate-limit answers.
    requests_sent = models.PositiveBigIntegerField(default=0)
    rate_limited_answers = models.PositiveBigIntegerField(default=0)
    # How long the CRM takes to answer, a moving average: it sets how many requests fly at once.
    latency_ms = models.FloatField(null=True, blank=True)
    # Epoch hour -> requests taken in it, over the last DAY_HOURS + 1 hours (connectors.budget): the daily limit.
    requests_by_hour = models.JSONField(default=dict, blank=True)
    # Simulation id -> when it last asked for a request (epoch seconds): the ones that share the budget now.
    wanting = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "connections"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ConnectionStatus.values), name="connection_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(daily_share__isnull=True) | models.Q(daily_share__gte=0.01, daily_share__lte=1),
                name="connection_daily_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def custom_properties_add(self, key: str, names: list[str]) -> None:
        """Record SimCRM's fields known to exist in the CRM under `key` (what an adapter's prepare found), merged
        under the row's lock with what other workers recorded meanwhile."""
        with transaction.atomic():
            locked = Connection.objects.select_for_update().only("custom_properties").get(pk=self.pk)
            recorded = dict(locked.custom_properties)
            recorded[key] = sorted({*recorded.get(key, []), *names})
            Connection.objects.filter(pk=self.pk).update(custom_properties=recorded)
        self.custom_properties = recorded


class SimulationConnection(models.Model):
    """Where a simulation's records are delivered. The link lives on this side, which owns connections:
    simulations knows a connection only as an id, through the hooks in simulations.delivery."""

    simulation = models.OneToOneField(
        "simulations.Simulation", on_delete=models.CASCADE, primary_key=True, related_name="connection_link"
    )
    # Deleting the connection deletes the link: the simulation stays, delivered nowhere.
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="simulation_links")

    class Meta:
        db_table = "simulation_connections"

    def __str__(self) -> str:
        return f"simulation {self.simulation_id} -> connection {self.connection_id}"


class ConnectionRequest(models.Model):
    """One request sent (or about to be sent) on a connection: the rolling window every worker counts,
    and, until `done_at`, a request in flight."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="requests")
    at = models.DateTimeField()
    # The simulation whose delivery sent it (none for token checks, probes and property set-up).
    simulation_id = models.BigIntegerField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "connection_requests"
        indexes = [models.Index(fields=["connection", "at"], name="connection_requests_window_idx")]

    def __str__(self) -> str:
        return f"{self.connection_id} at {self.at.isoformat()}"


class Installation(models.Model):
    """This SimCRM installation's id: the first part of every `simcrm_id` it writes into a portal."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        db_table = "installation"

    def __str__(self) -> str:
        return str(self.key)
