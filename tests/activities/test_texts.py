"""Activity texts with OpenAI: a model call per beat of a theme, cached like personas, every body filled from its
records; what the model writes is data, never markup or a format string. Over real HTTP against the stand-in."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from activities.models import Call, Email, Meeting, Note, Task
from activities.story import Beat
from activities.texts import templates_write
from personas.models import CachedPersona, PoolKind
from standins.openai import OpenAIStandIn, StandInReply
from tests.idle import run_until_idle

pytestmark = pytest.mark.django_db

MODELS: list[Any] = [Email, Call, Meeting, Note, Task]


def _texts_calls(standin: OpenAIStandIn) -> int:
    return sum(1 for request in standin.requests if request.wants_texts)


def _bodies(simulation_id: int) -> list[str]:
    return [
        activity.text
        for model in MODELS
        for activity in model.objects.filter(simulation_id=simulation_id).order_by(
            "contact__record_index", "occurred_at"
        )
    ]


def test_a_themes_activity_texts_take_one_call_a_beat_and_a_replay_reuses_them(
    api_client: APIClient, openai_standin: OpenAIStandIn
) -> None:
    now = timezone.now()
    body = {
        "theme": "Harbour pilots",
        "industry": "Logistics",
        "total_records": 300,
        "seed": 31,
        "starts_at": (now - timedelta(days=90)).isoformat(),
        "ends_at": (now - timedelta(hours=1)).isoformat(),
        "deal_rate": 0.5,
        "win_rate": 0.4,
        "sales_cycle_days": 20,
    }
    created = api_client.post("/api/simulations/", body, format="json")
    assert created.status_code == 201, created.content
    simulation_id = created.json()["id"]
    run_until_idle()

    calls = _texts_calls(openai_standin)
    assert 0 < calls <= len(Beat) - 1  # one per beat that writes (TASK_DONE writes nothing), and no more
    pool = CachedPersona.objects.get(kind=PoolKind.TEXTS)
    assert pool.generation_calls == calls and pool.size == calls and pool.prompt_tokens > 0
    bodies = _bodies(simulation_id)
    assert len(bodies) > 1_000
    assert len(set(bodies)) >= 0.95 * len(bodies)
    assert not [body for body in bodies if "{" in body or "}" in body]
    # The theme's words came from the model (the stand-in writes the theme into its templates).
    assert any("Harbour pilots" in body for body in bodies)

    replayed = api_client.post(f"/api/simulations/{simulation_id}/replay/", format="json")
    assert replayed.status_code == 201
    run_until_idle()
    assert _texts_calls(openai_standin) == calls  # the cached texts, no new call
    assert _bodies(replayed.json()["id"]) == bodies


def test_a_models_templates_are_data_markup_and_unknown_slots_are_dropped(openai_standin: OpenAIStandIn) -> None:
    hostile = {
        "subjects": ["Re: {deal}", "<script>alert(1)</script>"],
        "openers": ["Hi {first_name},", "{0.__class__.__mro__}", "Dear {ssn},"],
        "middles": ['=HYPERLINK("http://evil.example") about {product}', "All good at {company}.\u0000"],
        "closers": ["- {rep}", "{rep"],
    }
    openai_standin.script([StandInReply.wrong_shape(hostile)])
    templates = templates_write(beat=Beat.PROPOSAL_EMAIL, theme="Pirates", industry="Shipping")

    assert templates == {
        "subjects": ["Re: {deal}"],
        "openers": ["Hi {first_name},"],
        # A formula stays text here: the export neutralises it (core.csv_export), the client shows text.
        "middles": ['=HYPERLINK("http://evil.example") about {product}', "All good at {company}."],
        "closers": ["- {rep}"],
    }
    assert templates_write(beat=Beat.PROPOSAL_EMAIL, theme="Pirates", industry="Shipping") == templates
    assert _texts_calls(openai_standin) == 1


def test_a_model_with_nothing_usable_fails_the_call_retryably(openai_standin: OpenAIStandIn) -> None:
    from personas.errors import PersonaError

    openai_standin.script(
        [StandInReply.wrong_shape({"subjects": [], "openers": ["{x}"], "middles": [], "closers": []})]
    )
    with pytest.raises(PersonaError) as failed:
        templates_write(beat=Beat.LOSS_NOTE, theme="Pirates", industry="Shipping")
    assert failed.value.retryable and "activity texts" in str(failed.value)
    assert not CachedPersona.objects.filter(kind=PoolKind.TEXTS).exists()
