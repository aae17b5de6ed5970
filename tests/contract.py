"""Field lists fixed by ../shared/CONTRACT.md, in the order the API answers them."""

SIMULATION_FIELDS = [
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
JOB_FIELDS = [
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
CONTACT_FIELDS = [
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
