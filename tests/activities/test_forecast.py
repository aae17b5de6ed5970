"""The preview counts the activities a run will make, the model calls that write their texts, and the CRM
requests that deliver them; the counts agree with what the run then makes."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from activities.models import Call, Email, Meeting, Note, Task
from standins.openai import OpenAIStandIn
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"


def _body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    return {
        "theme": "Harbour pilots",
        "industry": "Logistics",
        "total_records": 200,
        "seed": 5,
        "starts_at": (now - timedelta(days=45)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "deal_rate": 0.5,
        "sales_cycle_days": 20,
        **overrides,
    }


def test_the_preview_counts_the_activities_the_run_then_makes(api_client: APIClient) -> None:
    for level in ("light", "busy"):
        forecast = api_client.post(f"{URL}preview/", _body(activity_level=level), format="json").json()["forecast"]
        created = api_client.post(URL, _body(activity_level=level), format="json").json()
        run_until_idle()
        made = sum(
            model.objects.filter(simulation_id=created["id"]).count() for model in (Email, Call, Meeting, Note, Task)
        )
        assert made > 0 and made / 2 <= forecast["activities"] <= made * 2, (level, forecast["activities"], made)
    none = api_client.post(f"{URL}preview/", _body(activity_level="none"), format="json").json()["forecast"]
    assert none["activities"] == 0


def test_the_preview_counts_the_text_calls_a_theme_still_needs(
    api_client: APIClient, openai_standin: OpenAIStandIn
) -> None:
    cold = api_client.post(f"{URL}preview/", _body(total_records=60), format="json").json()["forecast"]
    assert 8 <= cold["activity_text_calls"] <= 12 and cold["completion_tokens"] > 0
    api_client.post(URL, _body(total_records=60), format="json")
    run_until_idle()
    warm = api_client.post(f"{URL}preview/", _body(total_records=60), format="json").json()["forecast"]
    assert warm["activity_text_calls"] == 0
    assert not [r for r in openai_standin.requests[-1:] if r.path.endswith("/chat/completions") and r.end is None]
