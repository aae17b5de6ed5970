import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from jobs.models import ScheduledJob
from simulations import services
from simulations.models import Simulation
from tests.contract import SIMULATION_FIELDS

pytestmark = pytest.mark.django_db

URL = "/api/simulations/"


def valid(**overrides: Any) -> dict[str, Any]:
    return {"theme": "Space pirates", "industry": "Logistics", **overrides}


def without(key: str) -> dict[str, Any]:
    body = valid()
    del body[key]
    return body


def test_create_answers_201_with_the_simulation(api_client: APIClient, user: Any) -> None:
    response = api_client.post(URL, valid(name="Demo", record_frequency="1wk"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == set(SIMULATION_FIELDS)
    assert body["name"] == "Demo"
    assert body["record_frequency"] == "1wk"
    assert body["status"] == "running"
    assert body["job_counts"]["pending"] == 5
    assert body["contacts_created"] == 0
    simulation = Simulation.objects.get(pk=body["id"])
    assert simulation.owner == user
    assert ScheduledJob.objects.filter(simulation=simulation).count() == 5


def test_create_defaults_and_trims(api_client: APIClient) -> None:
    response = api_client.post(URL, {"theme": "  Space pirates ", "industry": "\tLogistics\n"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["theme"], body["industry"]) == ("Space pirates", "Logistics")
    assert (body["record_frequency"], body["name"]) == ("1h", "")


def test_255_characters_after_trimming_are_accepted(api_client: APIClient) -> None:
    response = api_client.post(URL, valid(theme=f"  {'t' * 255}  ", industry="i" * 255, name="n" * 255), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["theme"] == "t" * 255


NOT_STRINGS = [42, 4.2, [], ["Logistics"], {}, {"a": "b"}, None, True, False]


def _bad_field_bodies() -> list[Any]:
    cases: list[Any] = []
    for field in ("theme", "industry"):
        cases += [
            pytest.param(without(field), field, id=f"{field}-missing"),
            pytest.param(valid(**{field: ""}), field, id=f"{field}-blank"),
            pytest.param(valid(**{field: " \t\n "}), field, id=f"{field}-whitespace"),
            pytest.param(valid(**{field: "x" * 256}), field, id=f"{field}-256-chars"),
            pytest.param(valid(**{field: "pir\x00ates"}), field, id=f"{field}-nul"),
            pytest.param(valid(**{field: "\x00"}), field, id=f"{field}-only-nul"),
        ]
    for field in ("theme", "industry", "record_frequency", "name"):
        cases += [pytest.param(valid(**{field: value}), field, id=f"{field}-{value!r}") for value in NOT_STRINGS]
    cases += [
        pytest.param(valid(record_frequency="2h"), "record_frequency", id="frequency-unknown"),
        pytest.param(valid(record_frequency=""), "record_frequency", id="frequency-blank"),
        pytest.param(valid(record_frequency="1H"), "record_frequency", id="frequency-case"),
        pytest.param(valid(record_frequency=" 1h"), "record_frequency", id="frequency-padded"),
        pytest.param(valid(name="n" * 256), "name", id="name-256-chars"),
        pytest.param(valid(name="a\x00b"), "name", id="name-nul"),
    ]
    return cases


@pytest.mark.parametrize(("body", "field"), _bad_field_bodies())
def test_bad_field_answers_400_naming_it(api_client: APIClient, body: dict[str, Any], field: str) -> None:
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    assert isinstance(errors[field], list) and errors[field]
    assert not Simulation.objects.exists()


@pytest.mark.parametrize("field", ["theme", "industry", "record_frequency", "name"])
def test_lone_surrogate_answers_400_naming_the_field(api_client: APIClient, field: str) -> None:
    # json.dumps escapes it as \ud800, which json.loads turns back into a lone surrogate.
    raw = json.dumps(valid(**{field: "\ud800"}))
    assert "\\ud800" in raw

    response = post_raw(api_client, raw)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Simulation.objects.exists()


RAW_BODIES = [
    pytest.param(b"", id="empty"),
    pytest.param(b"theme=x&industry=y", id="form-encoded-as-json"),
    pytest.param(b"{not json}", id="not-json"),
    pytest.param(b'{"theme": "a", "industry": "b"', id="truncated"),
    pytest.param(b"\xff\xfe{}", id="not-utf8"),
    pytest.param(b"[]", id="list"),
    pytest.param(b'[{"theme": "a", "industry": "b"}]', id="list-of-object"),
    pytest.param(b'"theme"', id="string"),
    pytest.param(b"42", id="number"),
    pytest.param(b"null", id="null"),
    pytest.param(b"true", id="boolean"),
    pytest.param(b"NaN", id="nan"),
    pytest.param(b"1" * 5000, id="huge-integer"),
    pytest.param(b"[" * 100_000, id="nested-100000"),
    pytest.param(b"[" * 50_000 + b"]" * 50_000, id="nested-50000-closed"),
    pytest.param(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, id="nested-objects"),
    pytest.param(json.dumps(valid(name="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))).encode(), id="oversized"),
]


def post_raw(client: APIClient, body: str | bytes) -> Any:
    # The stubs say str, but the test client sends bytes exactly as given, which the non-UTF-8 case needs.
    return client.generic("POST", URL, body, content_type="application/json")  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", RAW_BODIES)
def test_malformed_body_answers_400_not_500(api_client: APIClient, raw: bytes) -> None:
    response = post_raw(api_client, raw)

    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()
    assert not Simulation.objects.exists()


def test_oversized_body_says_so_in_detail(api_client: APIClient) -> None:
    raw = json.dumps(valid(name="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE))

    response = post_raw(api_client, raw)

    assert response.status_code == 400
    assert "too large" in response.json()["detail"]


def test_body_just_under_the_limit_is_parsed(api_client: APIClient) -> None:
    padding = " " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - 200)
    raw = f'{{"theme": "Space pirates",{padding}"industry": "Logistics"}}'

    response = post_raw(api_client, raw)

    assert response.status_code == 201, response.content


def test_failure_while_scheduling_leaves_nothing_behind(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch, user: Any
) -> None:
    def schedule_one_then_fail(*, simulation: Simulation) -> list[ScheduledJob]:
        ScheduledJob.objects.create(simulation=simulation, job_type="CREATE_CONTACT", scheduled_for=timezone.now())
        raise RuntimeError("database went away mid-way")

    monkeypatch.setattr(services, "contact_jobs_schedule", schedule_one_then_fail)

    with pytest.raises(RuntimeError):
        services.simulation_create(owner=user, theme="Space pirates", industry="Logistics")
    assert not Simulation.objects.exists()
    assert not ScheduledJob.objects.exists()

    api_client.raise_request_exception = False
    response = api_client.post(URL, valid(), format="json")
    assert response.status_code == 500
    assert not Simulation.objects.exists()
    assert not ScheduledJob.objects.exists()


def test_create_is_throttled_per_user_but_listing_is_not(
    client_for: Callable[[Any], APIClient], user: Any, other_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "simulation_create", "2/minute")
    client = client_for(user)

    responses = []
    for _ in range(3):
        responses.append(client.post(URL, valid(), format="json"))
        cache.clear()  # as if each request reached another web process: the limit must still hold

    assert [response.status_code for response in responses] == [201, 201, 429]
    assert 0 < int(responses[-1]["Retry-After"]) <= 60
    assert Simulation.objects.count() == 2
    listed = client.get(URL)
    assert listed.status_code == 200
    assert listed.json()["count"] == 2
    # The limit is per user: someone else may still create.
    assert client_for(other_user).post(URL, valid(), format="json").status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_answers_400(api_client: APIClient, content_type: str) -> None:
    response = api_client.generic("POST", URL, "theme=Rock&industry=Music", content_type=content_type)
    assert response.status_code == 400
    assert "application/json" in response.json()["detail"]
    assert not Simulation.objects.exists()
