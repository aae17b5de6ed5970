"""Fuzz the API from its own OpenAPI schema: no generated request may answer 5xx."""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from jobs.models import JobStatus
from simulations.services import simulation_create
from tests.factories import UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_test_connection() -> Iterator[None]:
    """Like Django's test client: the WSGI app must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token_header(db: Any) -> dict[str, str]:
    user = UserFactory.create(is_staff=True)
    simulation = simulation_create(owner=user, theme="Fuzz", industry="Testing")
    simulation.jobs.filter(pk=simulation.jobs.all()[0].pk).update(status=JobStatus.FAILED)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


# One pytest item per API operation, each with its own id (schemathesis' own parametrize gives them
# all one node id, which pytest's progress counts once).
OPERATIONS = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
@pytest.mark.django_db
def test_no_generated_request_answers_5xx(operation: Any, token_header: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        response = case.call(headers=token_header)
        case.validate_response(response, checks=[not_a_server_error])

    check()


HOSTILE_BODIES: dict[str, bytes] = {
    "invalid utf-8": b'{"theme": "\xff\xfe\xfa", "industry": "x"}',
    "huge string (2 MB)": b'{"theme": "' + b"a" * 2_000_000 + b'", "industry": "x"}',
    "deep json": b"[" * 100_000 + b"]" * 100_000,
    "empty": b"",
    "nul characters": b'{"theme": "a\\u0000b", "industry": "\\u0000", "username": "\\u0000", "password": "x"}',
    "lone surrogate": b'{"theme": "\\ud800", "industry": "x", "username": "\\udfff", "password": "\\ud800"}',
    "not an object": b'["theme", "industry"]',
    "wrong types": b'{"theme": {"a": 1}, "industry": [1], "record_frequency": 7, "username": 1, "password": null}',
}
POST_PATHS = ["/api/simulations/", "/api/auth/token/", "/api/auth/login/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_bodies_answer_4xx_and_write_nothing(path: str, body: bytes, token_header: dict[str, str]) -> None:
    from rest_framework.test import APIClient

    from simulations.models import Simulation

    before = Simulation.objects.count()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token_header["Authorization"])
    response = client.generic("POST", path, body, content_type="application/json")  # type: ignore[arg-type]
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert Simulation.objects.count() == before
