"""A throwaway record kind, all in this module: partners, one for about every fifth contact, an hour after
it, delivered to the CRM as companies. tests/test_record_kind_seam.py sees it planned, made, listed,
exported and delivered without any other file knowing it.

It enters the timeline at a version after the current one, so simulations of the current version
(every other test's) replay as they were.
"""

from typing import Any

import numpy as np
from django.db import models, transaction
from rest_framework import serializers

from jobs.models import ScheduledJob
from jobs.registry import JobHandler
from jobs.runner import scheduled_job_completing
from simulations import timeline_versions
from simulations.delivery import records_changed
from simulations.funnel import CrmSettings
from simulations.kinds import EntryJob, KindField, RecordKind, TimelineContext, TimelinePart, TimelineStep
from simulations.models import DELIVERY_FIELDS, Delivered, Simulation
from simulations.payloads import payload_index, payload_instant

CREATE_PARTNER = "CREATE_PARTNER"
STEP_CODE = 10
HOUR_US = 3_600_000_000
_SALT = 0x50415254  # "PART"


class Partner(Delivered):
    simulation = models.ForeignKey(Simulation, on_delete=models.CASCADE, related_name="+")
    record_index = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    domain = models.CharField(max_length=255)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Spelled out: mypy reads the project's settings, which do not install this app.
    objects: "models.Manager[Partner]" = models.Manager()

    class Meta:
        db_table = "kind_probe_partners"
        constraints = [models.UniqueConstraint(fields=["simulation", "record_index"], name="partner_once")]


class PartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "simulation", "name", "domain", *DELIVERY_FIELDS, "occurred_at"]
        read_only_fields = fields


def _timeline(context: TimelineContext) -> tuple[list[TimelinePart], dict[str, Any]]:
    chosen = np.random.default_rng([context.plan.drawn_seed, _SALT]).random(len(context.offsets)) < 0.2
    at = context.offsets + HOUR_US
    kept = chosen & (at < context.plan.window_us)
    return [TimelinePart(STEP_CODE, at[kept], np.flatnonzero(kept).astype(np.int64))], {}


def _job(entry: EntryJob) -> tuple[str, dict[str, Any]]:
    return CREATE_PARTNER, {"index": entry.index, "at": entry.instant.isoformat()}


def partner_create_for_job(job: ScheduledJob, claim: str) -> None:
    index = payload_index(job)
    with transaction.atomic():
        partner, made = Partner.objects.get_or_create(
            simulation_id=job.simulation_id,
            record_index=index,
            defaults={
                "name": f"Partner {index} of simulation {job.simulation_id}",
                "domain": f"partner-{index}.sim-{job.simulation_id}.example.org",
                "occurred_at": payload_instant(job),
            },
        )
        if made:
            records_changed(Partner, [partner.pk])
    with scheduled_job_completing(job, claim) as completion:
        completion.result = {"partner_id": partner.pk}


def _volume(contacts: int, companies: int, crm: CrmSettings | None) -> tuple[int, int]:
    return round(contacts * 0.2), 0


PARTNERS = RecordKind(
    name="partners",
    model=Partner,
    serializer=PartnerSerializer,
    handlers=(JobHandler(job_type=CREATE_PARTNER, run=partner_create_for_job),),
    steps=(TimelineStep(STEP_CODE, "partner", _job),),
    timeline=_timeline,
    fields=(
        KindField("name", lambda p: p.name),
        KindField("domain", lambda p: p.domain),
        KindField("createdate", lambda p: p.occurred_at, delivered=False),
    ),
    delivered=True,
    volume=_volume,
    since_version=timeline_versions.CURRENT + 1,
    crm_object="companies",
    list_doc="Its partners (a throwaway kind of the tests).",
)
