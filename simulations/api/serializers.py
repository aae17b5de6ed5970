from rest_framework import serializers

from core.fields import StrictCharField, StrictChoiceField
from jobs.models import JobStatus
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
