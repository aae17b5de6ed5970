from typing import Any

from rest_framework import serializers

from jobs.models import JobStatus, ScheduledJob
from personas.models import CachedPersona
from simulations.api.fields import StrictCharField, StrictChoiceField
from simulations.models import Contact, RecordFrequency, Simulation


class SimulationCreateSerializer(serializers.Serializer):
    theme = StrictCharField(max_length=255)
    industry = StrictCharField(max_length=255)
    record_frequency = StrictChoiceField(choices=RecordFrequency.choices, default=RecordFrequency.HOURLY)
    name = StrictCharField(max_length=255, required=False, allow_blank=True, default="")


class SimulationSerializer(serializers.ModelSerializer):
    job_counts = serializers.SerializerMethodField()
    contacts_created = serializers.SerializerMethodField()

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
        ]
        read_only_fields = fields

    def get_job_counts(self, simulation: Simulation) -> dict[str, int]:
        if hasattr(simulation, "jobs_pending"):
            return {status: getattr(simulation, f"jobs_{status}") for status in JobStatus.values}
        counts = dict.fromkeys(JobStatus.values, 0)
        for job in simulation.jobs.values("status"):
            counts[job["status"]] += 1
        return counts

    def get_contacts_created(self, simulation: Simulation) -> int:
        total = getattr(simulation, "contacts_total", None)
        return int(total) if total is not None else simulation.contacts.count()


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduledJob
        fields = [
            "id",
            "simulation",
            "job_type",
            "payload",
            "scheduled_for",
            "status",
            "result",
            "attempts",
            "last_error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


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
            "source",
            "created_at",
        ]
        read_only_fields = fields


class CachedPersonaSerializer(serializers.ModelSerializer):
    persona_count = serializers.SerializerMethodField()

    class Meta:
        model = CachedPersona
        fields = [
            "id",
            "theme",
            "industry",
            "cache_key",
            "source",
            "persona_data",
            "persona_count",
            "hits",
            "misses",
            "generation_calls",
            "prompt_tokens",
            "completion_tokens",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_persona_count(self, persona: CachedPersona) -> int:
        return len(persona.personas)


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=1024, trim_whitespace=False)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {"id": instance.pk, "username": instance.get_username(), "is_staff": instance.is_staff}
