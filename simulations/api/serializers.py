from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from core.fields import StrictCharField, StrictChoiceField
from jobs.models import JobStatus
from simulations.models import Contact, RecordFrequency, Simulation


class SimulationCreateSerializer(serializers.Serializer):
    theme = StrictCharField(max_length=255)
    industry = StrictCharField(max_length=255)
    record_frequency = StrictChoiceField(choices=RecordFrequency.choices, default=RecordFrequency.HOURLY)
    name = StrictCharField(max_length=255, required=False, allow_blank=True, default="")


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


class SimulationSerializer(serializers.ModelSerializer):
    job_counts = serializers.SerializerMethodField()
    contacts_created = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField(
        help_text="The error of the simulation's latest failed job; empty when no job has failed."
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
        ]
        read_only_fields = fields

    def get_job_counts(self, simulation: Simulation) -> dict[str, int]:
        if hasattr(simulation, "jobs_pending"):
            return {status: getattr(simulation, f"jobs_{status}") for status in JobStatus.values}
        counts = dict.fromkeys(JobStatus.values, 0)
        for job in simulation.jobs.values("status"):
            counts[job["status"]] += 1
        return counts

    def get_last_error(self, simulation: Simulation) -> str:
        if hasattr(simulation, "latest_failure"):
            return simulation.latest_failure or ""
        latest = simulation.jobs.filter(status=JobStatus.FAILED).order_by("-finished_at", "-id").first()
        return latest.last_error if latest is not None else ""

    def get_contacts_created(self, simulation: Simulation) -> int:
        total = getattr(simulation, "contacts_total", None)
        return int(total) if total is not None else simulation.contacts.count()


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "simulation",
            "job",
            "firstname",
            "lastname",
            "email",
            "jobtitle",
            "company",
            "industry",
            "phone",
            "city",
            "country",
            "source",
            "created_at",
        ]
        read_only_fields = fields
