"""A record kind is one module: tests/kind_probe (its module, its registration and its migration, nothing
else) adds partners, and a simulation plans, makes, lists, exports and delivers them to the HubSpot
stand-in through the same planner, queue, outbox and delivery as its contacts."""

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from jobs.models import JobStatus, ScheduledJob
from simulations import timeline_versions
from simulations.curves import Plan
from simulations.funnel import CrmSettings, timeline_slice
from simulations.kinds import RecordKind, TimelineStep, record_kind_register, record_kinds
from simulations.models import Contact
from simulations.preview import simulation_preview
from simulations.services import simulation_create
from standins.hubspot import STANDIN_TOKEN, HubSpotStandIn
from tests.idle import run_until_idle
from tests.kind_probe.models import CREATE_PARTNER, STEP_CODE, Partner

pytestmark = pytest.mark.django_db

CRM = CrmSettings(deal_rate=0.4, win_rate=0.5, sales_cycle_days=5)


def _plan(version: int) -> Plan:
    now = timezone.now().replace(microsecond=0)
    return Plan(
        total_records=60,
        starts_at=now - timedelta(days=10),
        ends_at=now - timedelta(hours=1),
        distribution="uniform",
        curve_weights=None,
        timezone="UTC",
        seed=4242,
        timeline_version=version,
    )


def _later(contact_at: datetime | None) -> datetime:
    assert contact_at is not None
    return contact_at + timedelta(hours=1)


def _entries(plan: Plan) -> list[tuple[int, int, int]]:
    timeline = timeline_slice(plan, CRM, start=0, count=10**6)
    return list(zip(timeline.at.tolist(), timeline.step.tolist(), timeline.index.tolist(), strict=True))


def test_the_new_kind_enters_only_the_timeline_version_after_the_current_one() -> None:
    current, next_version = _plan(timeline_versions.CURRENT), _plan(timeline_versions.CURRENT + 1)
    assert not any(step == STEP_CODE for _, step, _ in _entries(current))
    with_partners = _entries(next_version)
    assert any(step == STEP_CODE for _, step, _ in with_partners)
    # Adding the kind changes nothing else of the timeline: an existing simulation replays as it was.
    assert [entry for entry in with_partners if entry[1] != STEP_CODE] == _entries(current)


def test_a_kind_in_one_module_is_planned_made_listed_exported_and_delivered(api_client: APIClient, user: User) -> None:
    plan = _plan(timeline_versions.CURRENT + 1)
    planned = sorted(index for _, step, index in _entries(plan) if step == STEP_CODE)
    with HubSpotStandIn(ten_second_limit=100) as hubspot:
        body = {"name": "Portal", "kind": "hubspot", "access_token": STANDIN_TOKEN, "base_url": hubspot.base_url}
        connection = api_client.post("/api/connections/", body, format="json")
        assert connection.status_code == 201, connection.content
        connection_id = connection.json()["id"]

        def forecast(version: int) -> Any:
            preview = simulation_preview(
                theme="Lighthouses", industry="Logistics", plan=_plan(version), crm=CRM, connection_id=connection_id
            )
            return preview["forecast"]["hubspot_requests"]

        # The forecast counts the requests of the kinds of the simulation's version.
        assert forecast(timeline_versions.CURRENT + 1) > forecast(timeline_versions.CURRENT) > 0
        simulation = simulation_create(
            owner=user, theme="Lighthouses", industry="Logistics", plan=plan, crm=CRM, connection_id=connection_id
        )
        run_until_idle(within=timedelta(seconds=12))
        portal_companies = hubspot.objects("companies")

    # Planned and made: a job of its own type for each of its timeline entries, each one partner.
    jobs = ScheduledJob.objects.filter(simulation=simulation, job_type=CREATE_PARTNER)
    assert jobs.count() == len(planned) > 0 and not jobs.exclude(status=JobStatus.COMPLETED).exists()
    partners = list(Partner.objects.filter(simulation=simulation).order_by("occurred_at", "id"))
    assert sorted(partner.record_index for partner in partners) == planned
    contact_at = dict(Contact.objects.filter(simulation=simulation).values_list("record_index", "occurred_at"))
    assert all(p.occurred_at == _later(contact_at[p.record_index]) for p in partners)

    # Listed, through a route of its own.
    listed = api_client.get(f"/api/simulations/{simulation.pk}/partners/", {"page_size": 500})
    assert listed.status_code == 200, listed.content
    assert [row["name"] for row in listed.json()["results"]] == [partner.name for partner in partners]
    assert api_client.get("/api/simulations/999999/partners/").status_code == 404

    # Exported, with its columns.
    export = api_client.get(f"/api/simulations/{simulation.pk}/export/", {"object": "partners"})
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0] == ["name", "domain", "createdate"]
    assert [row[0] for row in rows[1:]] == [partner.name for partner in partners]

    # Delivered to the HubSpot stand-in, as companies, each once, under its crm_id; the other kinds too.
    assert all(partner.sync_status == "synced" and partner.crm_id for partner in partners)
    for partner in partners:
        assert portal_companies[partner.crm_id or ""]["name"] == partner.name
        assert portal_companies[partner.crm_id or ""]["domain"] == partner.domain
    assert not Contact.objects.filter(simulation=simulation).exclude(sync_status="synced").exists()

    # Deleted with its simulation.
    assert api_client.delete(f"/api/simulations/{simulation.pk}/").status_code == 204
    assert not Partner.objects.filter(simulation_id=simulation.pk).exists()


def test_a_kind_cannot_take_a_released_step_code_nor_a_taken_name() -> None:
    def job(entry: Any) -> tuple[str, dict[str, Any]]:
        return "NOTHING", {}

    with pytest.raises(ValueError, match="code 1 of clones is taken by contacts"):
        record_kind_register(RecordKind(name="clones", model=Partner, steps=(TimelineStep(1, "clone", job),)))
    with pytest.raises(ValueError, match="named 'partners' is registered"):
        record_kind_register(RecordKind(name="partners", model=Partner))
    assert [kind.name for kind in record_kinds()][-1] == "partners"  # nothing half registered
