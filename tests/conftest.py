from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from standins.openai import OpenAIStandIn
from tests.factories import UserFactory


@pytest.fixture
def user(db: Any) -> Any:
    return UserFactory()


@pytest.fixture
def other_user(db: Any) -> Any:
    return UserFactory()


@pytest.fixture
def staff_user(db: Any) -> Any:
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff_user: Any) -> Client:
    """A Django test client signed in to the admin as staff."""
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def api_client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff_client(staff_user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """Build an API client signed in as the given user."""

    def build(user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return build


@pytest.fixture
def other_client(other_user: Any, client_for: Callable[[Any], APIClient]) -> APIClient:
    return client_for(other_user)


# --- OpenAI stand-in (personas) -----------------------------------------------------------------
STANDIN_API_KEY = "sk-test-standin-secret-0123456789"


@pytest.fixture
def openai_standin(settings: Any) -> Iterator[OpenAIStandIn]:
    """A local OpenAI stand-in over real HTTP; settings point the persona agent at it."""
    from personas.health import provider_status_forget
    from personas.openai_models import openai_models_forget

    # Both caches are keyed by base URL: a port the OS hands out again must not find another test's answer.
    openai_models_forget()
    provider_status_forget()
    standin = OpenAIStandIn(api_key=STANDIN_API_KEY).start()
    try:
        settings.OPENAI_API_KEY = STANDIN_API_KEY
        settings.OPENAI_BASE_URL = standin.base_url
        settings.SIMCRM_PERSONA_PROVIDER = "openai"
        yield standin
    finally:
        standin.stop()
