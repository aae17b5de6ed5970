from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count
from django.utils import timezone as django_timezone
from rest_framework import serializers
from rest_framework.fields import SkipField

from core.fields import StrictCharField, StrictChoiceField, StrictFloatField, StrictIntegerField
from jobs.models import JobStatus
from simulations.curves import EmptyCurve, Plan, curve_check
from simulations.delivery import connection_id_of, connection_is_usable
from simulations.funnel import CrmSettings
from simulations.kinds import exported_kinds, names
from simulations.models import (
    MAX_SEED,
    MAX_TOTAL_RECORDS,
    ActivityLevel,
    Distribution,
    EmailDomains,
    RecordFrequency,
    Scenario,
    Simulation,
    SyncStatus,
)

PLAN_FIELDS = ("total_records", "starts_at", "ends_at", "distribution", "curve_weights", "timezone", "seed")
CRM_FIELDS = ("scenario", "contacts_per_company", "deal_rate", "win_rate", "sales_cycle_days", "activity_level")
MAX_WINDOW = timedelta(days=366)
DEFAULT_WINDOW = timedelta(days=7)


class SimulationCreateSerializer(serializers.Serializer):
    """Create (and preview): the original schedule, or with total_records a planned simulation."""

    theme = StrictCharField(max_length=255)
    industry = StrictCharField(max_length=255)
    record_frequency = StrictChoiceField(
        choices=RecordFrequency.choices,
        required=False,
        help_text="The original schedule's pace (default 1h: 5 contacts over 12 minutes). Refused with total_records.",
    )
    name = StrictCharField(max_length=255, required=False, allow_blank=True, default="")
    total_records = StrictIntegerField(min_value=1, max_value=MAX_TOTAL_RECORDS, required=False)
    starts_at = serializers.DateTimeField(required=False, help_text="Default now; at most 366 days in the past.")
    ends_at = serializers.DateTimeField(
        required=False, help_text="Default starts_at + 7 days; the window may be at most 366 days."
    )
    distribution = StrictChoiceField(choices=Distribution.choices, required=False)
    curve_weights = serializers.ListField(
        child=StrictFloatField(min_value=0), min_length=2, max_length=1000, required=False
    )
    timezone = StrictCharField(max_length=64, required=False, help_text="IANA name, e.g. Europe/Berlin (default UTC).")
    seed = StrictIntegerField(min_value=0, max_value=MAX_SEED, required=False)
    scenario = StrictChoiceField(
        choices=Scenario.choices, required=False, help_text="b2b (default): contacts work for companies; b2c: none."
    )
    contacts_per_company = StrictIntegerField(
        min_value=1, max_value=50, required=False, help_text="b2b only: about this many contacts share a company (3)."
    )
    deal_rate = StrictFloatField(
        min_value=0, max_value=1, required=False, help_text="Share of contacts whose funnel opens a deal (0.3)."
    )
    win_rate = StrictFloatField(min_value=0, max_value=1, required=False, help_text="Share of deals won (0.25).")
    sales_cycle_days = StrictIntegerField(
        min_value=1,
        max_value=365,
        required=False,
        help_text="Typical days from a contact's creation to its deal's close (30).",
    )
    activity_level = StrictChoiceField(
        choices=ActivityLevel.choices,
        required=False,
        help_text="How many emails, calls, meetings, notes and tasks tell each contact's story: none, light, "
        "normal (default) or busy.",
    )
    connection = StrictIntegerField(
        min_value=1, required=False, help_text="One of your connections: every record it makes is delivered there."
    )
    email_domains = StrictChoiceField(
        choices=EmailDomains.choices,
        required=False,
        help_text="reserved (default): company and email domains are subdomains of example.com, .org or .net, so no "
        "generated address reaches a real mailbox; realistic: lifelike domains, which may belong to real businesses.",
    )

    def validate_connection(self, value: int) -> int:
        request = self.context.get("request")
        owner_id = getattr(getattr(request, "user", None), "pk", None)
        # The connectors app sits above this one: it answers through the check it registered.
        if not connection_is_usable(connection_id=value, owner_id=owner_id):
            raise serializers.ValidationError(
                f"Connection {value} is not one of yours (it may have been deleted): pick another, or none."
            )
        return value

    def validate_timezone(self, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(
                f"Unknown time zone {value!r}: use an IANA name such as Europe/Berlin or America/New_York."
            ) from None
        return value

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            # DRF stops at the fields it cannot parse, before validate(): judge the settings that did
            # parse as well, so a form sees every error at once instead of one round at a time.
            if not isinstance(data, Mapping) or not isinstance(error.detail, dict):
                raise
            failed = frozenset(error.detail)
            others = _settings_errors(self._parsed(data), planned="total_records" in data, unknown=failed)
            raise serializers.ValidationError({**others, **error.detail}) from None

    def _parsed(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of `data` that are valid on their own."""
        attrs: dict[str, Any] = {}
        for name, field in self.fields.items():
            if field.read_only or name not in data:
                continue
            try:
                value = field.run_validation(field.get_value(data))
                check = getattr(self, f"validate_{name}", None)
                attrs[name] = check(value) if check else value
            except (serializers.ValidationError, SkipField):
                continue
        return attrs

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = _settings_errors(attrs, planned="total_records" in attrs)
        if errors:
            raise serializers.ValidationError(errors)
        if "total_records" not in attrs:
            attrs.setdefault("record_frequency", RecordFrequency.HOURLY)
            attrs.setdefault("email_domains", EmailDomains.RESERVED)
            attrs["connection_id"] = attrs.pop("connection", None)
            return attrs
        now = django_timezone.now()
        starts_at = attrs.get("starts_at") or now
        ends_at = attrs.get("ends_at") or starts_at + DEFAULT_WINDOW
        distribution = attrs.get("distribution", Distribution.UNIFORM)
        weights = attrs.get("curve_weights")
        # Without a seed the service draws one (simulations.services.plan_seeded).
        settings_ = Plan(
            total_records=attrs["total_records"],
            starts_at=starts_at,
            ends_at=ends_at,
            distribution=distribution,
            curve_weights=tuple(weights) if weights is not None else None,
            timezone=attrs.get("timezone", "UTC"),
            seed=attrs.get("seed"),
        )
        try:
            curve_check(settings_)
        except EmptyCurve:
            label = Distribution(distribution).label.lower()
            raise serializers.ValidationError(
                {
                    "distribution": [
                        f"The {label} curve leaves no time in this window (in {settings_.timezone}) to create "
                        "records in: widen the window or pick another curve."
                    ]
                }
            ) from None
        defaults = CrmSettings()
        crm = CrmSettings(**{field: attrs.get(field, getattr(defaults, field)) for field in CRM_FIELDS})
        return {
            "theme": attrs["theme"],
            "industry": attrs["industry"],
            "name": attrs.get("name", ""),
            "plan": settings_,
            "crm": crm,
            "connection_id": attrs.get("connection"),
            "email_domains": attrs.get("email_domains", EmailDomains.RESERVED),
        }


def _settings_errors(
    attrs: Mapping[str, Any], *, planned: bool, unknown: frozenset[str] = frozenset()
) -> dict[str, list[str]]:
    """What is wrong with these settings taken together, in the form's words, by field.

    `unknown` names fields sent but not understood: checks that depend on them are left out.
    """
    if not planned:
        return {
            field: ["Belongs to a planned run: set the number of records (total_records) as well."]
            for field in (*PLAN_FIELDS, *CRM_FIELDS)
            if field in attrs
        }
    errors: dict[str, list[str]] = {}
    if "record_frequency" in attrs:
        errors["record_frequency"] = [
            "Frequency belongs to the original schedule (5 contacts); a planned run's pace "
            "comes from its number of records, window and curve. Leave it out."
        ]
    now = django_timezone.now()
    starts_at = attrs.get("starts_at") or now
    ends_at = attrs.get("ends_at") or starts_at + DEFAULT_WINDOW
    if starts_at < now - MAX_WINDOW:
        errors["starts_at"] = ["Window start can be at most 366 days in the past."]
    if not {"starts_at", "ends_at"} & unknown:
        if ends_at <= starts_at:
            errors["ends_at"] = ["Window end must be after window start."]
        elif ends_at - starts_at > MAX_WINDOW:
            errors["ends_at"] = ["The window can be at most 366 days long: bring window end closer to window start."]
    distribution = attrs.get("distribution", Distribution.UNIFORM)
    weights = attrs.get("curve_weights")
    if not {"distribution", "curve_weights"} & unknown:
        if distribution == Distribution.CUSTOM and weights is None:
            errors["curve_weights"] = ["The custom curve needs weights: 2 to 1,000 numbers, zero or more."]
        elif distribution != Distribution.CUSTOM and weights is not None:
            errors["curve_weights"] = ["Only the custom curve takes weights: pick Custom, or leave them out."]
        elif weights is not None and not any(weights):
            errors["curve_weights"] = ["At least one weight must be above zero."]
    if (
        "scenario" not in unknown
        and attrs.get("scenario", Scenario.B2B) == Scenario.B2C
        and "contacts_per_company" in attrs
    ):
        errors["contacts_per_company"] = ["A B2C run has no companies: leave contacts per company out."]
    return errors


class SimulationUpdateSerializer(serializers.Serializer):
    """PATCH: only the name changes; any other field is refused rather than silently ignored."""

    name = StrictCharField(max_length=255, allow_blank=True)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            others = sorted(str(key) for key in data if key not in self.fields)
            if others:
                message = "Only name can be changed; create a new simulation for other settings."
                if all(key.isprintable() and _encodable(key) for key in others):
                    raise serializers.ValidationError({key: [message] for key in others})
                raise serializers.ValidationError({"non_field_errors": [message]})
        return super().to_internal_value(data)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _connection_of(simulation: Simulation) -> int | None:
    if hasattr(simulation, "connection_ref"):  # annotated by selectors.simulation_list
        return cast(int | None, simulation.connection_ref)
    return connection_id_of(simulation_id=simulation.pk)


class ConnectionField(serializers.IntegerField):
    """The simulation's connection id: connectors owns the link, simulations reads it through its hook."""

    def get_attribute(self, instance: Simulation) -> int | None:
        return _connection_of(instance)


class SimulationSerializer(serializers.ModelSerializer):
    job_counts = serializers.SerializerMethodField()
    contacts_created = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField(
        help_text="The error of the simulation's latest failed job; empty when no job has failed."
    )
    distribution = serializers.SerializerMethodField(help_text="null for the original schedule.")
    timezone = serializers.SerializerMethodField(help_text="null for the original schedule.")
    scenario = serializers.SerializerMethodField(help_text="null for the original schedule.")
    contacts_per_company = serializers.SerializerMethodField(help_text="null in b2c and for the original schedule.")
    deal_rate = serializers.SerializerMethodField(help_text="null for the original schedule.")
    win_rate = serializers.SerializerMethodField(help_text="null for the original schedule.")
    sales_cycle_days = serializers.SerializerMethodField(help_text="null for the original schedule.")
    activity_level = serializers.SerializerMethodField(help_text="null for the original schedule.")
    connection = ConnectionField(allow_null=True, read_only=True, help_text="Where its records are delivered.")
    delivery = serializers.SerializerMethodField(
        help_text="Its records by delivery status (pending, synced, failed); null without a connection."
    )

    class Meta:
        model = Simulation
        fields = [
            "id",
            "name",
            "theme",
            "industry",
            "record_frequency",
            "status",
            "created_at",
            "job_counts",
            "contacts_created",
            "last_error",
            "total_records",
            "starts_at",
            "ends_at",
            "distribution",
            "curve_weights",
            "timezone",
            "seed",
            *CRM_FIELDS,
            "email_domains",
            "connection",
            "delivery",
        ]
        read_only_fields = fields

    def get_delivery(self, simulation: Simulation) -> dict[str, int] | None:
        if _connection_of(simulation) is None:
            return None
        if hasattr(simulation, "delivered_pending"):
            return {status: getattr(simulation, f"delivered_{status}") for status in SyncStatus.values}
        counts = dict.fromkeys(SyncStatus.values, 0)
        for records in (simulation.contacts, simulation.companies, simulation.deals):
            for row in records.order_by().values("sync_status").annotate(n=Count("id")):
                if row["sync_status"] in counts:
                    counts[row["sync_status"]] += row["n"]
        return counts

    def get_scenario(self, simulation: Simulation) -> str | None:
        return simulation.scenario if simulation.is_planned else None

    def get_contacts_per_company(self, simulation: Simulation) -> int | None:
        return (
            simulation.contacts_per_company if simulation.is_planned and simulation.scenario == Scenario.B2B else None
        )

    def get_deal_rate(self, simulation: Simulation) -> float | None:
        return simulation.deal_rate if simulation.is_planned else None

    def get_win_rate(self, simulation: Simulation) -> float | None:
        return simulation.win_rate if simulation.is_planned else None

    def get_sales_cycle_days(self, simulation: Simulation) -> int | None:
        return simulation.sales_cycle_days if simulation.is_planned else None

    def get_activity_level(self, simulation: Simulation) -> str | None:
        return simulation.activity_level if simulation.is_planned else None

    def get_job_counts(self, simulation: Simulation) -> dict[str, int]:
        if hasattr(simulation, "jobs_pending"):
            return {status: getattr(simulation, f"jobs_{status}") for status in JobStatus.values}
        counts = dict.fromkeys(JobStatus.values, 0)
        for job in simulation.jobs.values("status"):
            counts[job["status"]] += 1
        return counts

    def get_distribution(self, simulation: Simulation) -> str | None:
        return simulation.distribution if simulation.is_planned else None

    def get_timezone(self, simulation: Simulation) -> str | None:
        return simulation.timezone if simulation.is_planned else None

    def get_last_error(self, simulation: Simulation) -> str:
        if hasattr(simulation, "latest_failure"):
            return simulation.latest_failure or ""
        latest = simulation.jobs.filter(status=JobStatus.FAILED).order_by("-finished_at", "-id").first()
        return latest.last_error if latest is not None else ""

    def get_contacts_created(self, simulation: Simulation) -> int:
        total = getattr(simulation, "contacts_total", None)
        return int(total) if total is not None else simulation.contacts.count()


class FunnelSerializer(serializers.Serializer):
    lifecyclestage = serializers.DictField(child=serializers.IntegerField(), help_text="Contacts at each stage.")
    dealstage = serializers.DictField(child=serializers.IntegerField(), help_text="Deals at each stage.")
    pipeline_amount = serializers.DictField(
        child=serializers.DecimalField(max_digits=18, decimal_places=2), help_text="Sum of deal amounts at each stage."
    )


# The answer key (simulations.outcomes), exported beside the record kinds.
OUTCOMES = "outcomes"


class ExportQuerySerializer(serializers.Serializer):
    object = StrictChoiceField(choices=[], help_text="Which records to export.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(StrictChoiceField, self.fields["object"]).choices = [*names(exported_kinds()), OUTCOMES]


class PreviewBucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    count = serializers.IntegerField()


class PreviewScheduleSerializer(serializers.Serializer):
    total_records = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    buckets = PreviewBucketSerializer(many=True)
    first = serializers.ListField(child=serializers.DateTimeField())


class SimulationScheduleSerializer(PreviewScheduleSerializer):
    unit = serializers.ChoiceField(
        choices=["hour", "day", "week"],
        allow_null=True,
        help_text="A planned simulation's buckets are whole hours, days or weeks of its time zone; "
        "null for the original schedule's five equal slices.",
    )


class PreviewForecastSerializer(serializers.Serializer):
    provider = serializers.CharField()
    model = serializers.CharField(allow_null=True)
    persona_calls = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    cost_usd = serializers.FloatField(allow_null=True, help_text="null when the model's price is unknown")
    hubspot_requests = serializers.IntegerField(
        help_text="Requests to the connection's CRM (named before a second CRM), in batches of its size."
    )
    hubspot_seconds = serializers.FloatField(
        help_text="The time the connection's limits imply for them (its rate, or its requests in flight at its "
        "latency)."
    )
    crm_day_use = serializers.FloatField(
        allow_null=True,
        help_text="Those requests as a share of what the connection may send in a day (1.0: a whole day's); "
        "null without a connection or a daily limit.",
    )
    crm_warning = serializers.CharField(
        help_text="Empty, or what to know before the run: it needs more requests than the connection may send in a "
        "day, and how long delivery will take."
    )
    deals = serializers.IntegerField(
        help_text="Deals the run opens before its window ends (deal_rate of the contacts whose funnel has the time)."
    )
    deals_won = serializers.IntegerField(help_text="Of those, the deals closed won by the window's end.")
    deals_lost = serializers.IntegerField(help_text="Of those, the deals closed lost by the window's end.")
    activities = serializers.IntegerField(
        help_text="Emails, calls, meetings, notes and tasks the run makes by its window's end (an estimate)."
    )
    activity_text_calls = serializers.IntegerField(
        help_text="Model calls that write activity texts (one per moment of the story a theme has no texts for); "
        "prompt_tokens, completion_tokens and cost_usd count them with the persona calls."
    )


class PreviewSerializer(serializers.Serializer):
    schedule = PreviewScheduleSerializer()
    forecast = PreviewForecastSerializer()
