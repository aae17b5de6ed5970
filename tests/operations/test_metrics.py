"""/metrics: Prometheus' text format, for staff or a scraper with the configured token, refused to anyone else."""

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from jobs.runner import scheduled_jobs_run_due
from personas.models import CachedPersona
from simulations.services import simulation_create
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_metrics_parse_and_count_jobs_queue_latency_and_personas(admin_client: Client) -> None:
    simulation = simulation_create(owner=UserFactory.create(), theme="Metrics", industry="Music")
    connection = ConnectionFactory.create(requests_sent=7, rate_limited_answers=2)
    scheduled_jobs_run_due()  # the first job is due at once; the other four wait

    response = admin_client.get("/metrics")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    found = families(response.content.decode())
    jobs = {(s.labels["job_type"], s.labels["status"]): s.value for s in found["simcrm_jobs"].samples}
    assert jobs == {("CREATE_CONTACT", "completed"): 1.0, ("CREATE_CONTACT", "pending"): 4.0}
    assert found["simcrm_queue_depth"].samples[0].value == 0.0
    latency = {
        s.labels.get("le"): s.value
        for s in found["simcrm_scheduling_latency_seconds"].samples
        if s.name.endswith("_bucket")
    }
    assert latency["+Inf"] == 1.0 and latency["300.0"] == 1.0
    calls = CachedPersona.objects.aggregate(calls=Sum("generation_calls"))["calls"]
    assert found["simcrm_persona_calls"].samples[0].value == calls == 1  # the theme's pool, made once
    # Counters of every CRM under neutral names, the CRM a label.
    for name, value in (("simcrm_crm_requests", 7.0), ("simcrm_crm_rate_limited", 2.0)):
        [sample] = found[name].samples
        assert sample.labels == {"connection": str(connection.pk), "crm": connection.kind} and sample.value == value
    # A job waiting for a worker shows in the queue's depth and age.
    simulation.jobs.filter(status="pending").update(scheduled_for=timezone.now() - timedelta(seconds=30))
    again = families(admin_client.get("/metrics").content.decode())
    assert again["simcrm_queue_depth"].samples[0].value == 4.0
    assert again["simcrm_oldest_due_job_age_seconds"].samples[0].value >= 30


def test_persona_cost_prices_each_pool_at_its_own_model(admin_client: Client, settings: Any) -> None:
    settings.SIMCRM_MODEL_PRICES = {"gpt-6-luna": (0.10, 0.50), "gpt-5-nano": (0.05, 0.40)}
    for theme, model in (("a", "gpt-6-luna"), ("b", "gpt-5-nano"), ("c", ""), ("d", "gpt-unpriced")):
        CachedPersona.objects.create(
            theme=theme,
            industry="x",
            cache_key=f"{theme}\nx",
            source="openai",
            model=model,
            prompt_tokens=1_000_000,
            completion_tokens=1_000_000,
        )

    found = families(admin_client.get("/metrics").content.decode())

    # Pools of an unknown model or price are left out rather than priced at another model's price.
    assert found["simcrm_persona_cost_usd"].samples[0].value == pytest.approx(0.60 + 0.45)


def test_metrics_are_refused_to_anonymous_and_ordinary_users(api_client: APIClient) -> None:
    assert Client().get("/metrics").status_code == 403
    assert api_client.get("/metrics").status_code == 403


def test_a_scraper_with_the_token_reads_them(settings: Any) -> None:
    settings.SIMCRM_METRICS_TOKEN = "scrape-token-123"
    scraper = Client()
    assert scraper.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    answer = scraper.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-123")
    assert answer.status_code == 200 and "simcrm_jobs" in families(answer.content.decode())
