from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_token_for_good_credentials(anon_client: APIClient, user: Any) -> None:
    response = anon_client.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    assert response.json()["token"] == Token.objects.get(user=user).key


def test_token_is_stable_across_requests(anon_client: APIClient, user: Any) -> None:
    credentials = {"username": user.username, "password": PASSWORD}

    first = anon_client.post("/api/auth/token/", credentials, format="json").json()["token"]
    second = anon_client.post("/api/auth/token/", credentials, format="json").json()["token"]

    assert first == second


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "{user}", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "{user}"},
        {"password": PASSWORD},
        {},
        {"username": ["{user}"], "password": PASSWORD},
        {"username": "{user}", "password": None},
    ],
)
@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/login/"])
def test_bad_credentials_answer_400(anon_client: APIClient, user: Any, credentials: dict[str, Any], path: str) -> None:
    body = {key: _fill(value, user) for key, value in credentials.items()}

    response = anon_client.post(path, body, format="json")

    assert response.status_code == 400, response.content
    assert not Token.objects.exists()
    assert "_auth_user_id" not in anon_client.session


def _fill(value: Any, user: Any) -> Any:
    if isinstance(value, str):
        return value.format(user=user.username)
    if isinstance(value, list):
        return [_fill(item, user) for item in value]
    return value


def test_inactive_user_cannot_sign_in(anon_client: APIClient) -> None:
    inactive = UserFactory.create(is_active=False)

    response = anon_client.post(
        "/api/auth/token/", {"username": inactive.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400


def test_token_authenticates_requests(anon_client: APIClient, user: Any) -> None:
    token = anon_client.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    ).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    me = client.get("/api/auth/me/")
    created = client.post("/api/simulations/", {"theme": "Space pirates", "industry": "Logistics"}, format="json")

    assert me.status_code == 200
    assert me.json() == {"id": user.pk, "username": user.username, "is_staff": False}
    assert created.status_code == 201


def test_session_login_me_logout(user: Any) -> None:
    client = APIClient()

    assert client.get("/api/auth/me/").status_code == 401
    login = client.post("/api/auth/login/", {"username": user.username, "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content
    assert login.json() == {"id": user.pk, "username": user.username, "is_staff": False}

    me = client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json() == {"id": user.pk, "username": user.username, "is_staff": False}
    assert client.get("/api/simulations/").status_code == 200

    assert client.post("/api/auth/logout/").status_code in (200, 204)
    assert client.get("/api/auth/me/").status_code == 401
    assert client.get("/api/simulations/").status_code == 401


def test_me_reports_staff(staff_client: APIClient, staff_user: Any) -> None:
    assert staff_client.get("/api/auth/me/").json() == {
        "id": staff_user.pk,
        "username": staff_user.username,
        "is_staff": True,
    }


def test_login_enforces_csrf(user: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    credentials = {"username": user.username, "password": PASSWORD}

    refused = client.post("/api/auth/login/", credentials, format="json")
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session

    csrf = client.get("/api/auth/csrf/")
    assert csrf.status_code == 200
    cookie = client.cookies["csrftoken"].value
    assert csrf.json()["csrfToken"]

    wrong = client.post("/api/auth/login/", credentials, format="json", HTTP_X_CSRFTOKEN="x" * 32)
    assert wrong.status_code == 403

    accepted = client.post("/api/auth/login/", credentials, format="json", HTTP_X_CSRFTOKEN=cookie)
    assert accepted.status_code == 200, accepted.content
    assert client.get("/api/auth/me/").json()["username"] == user.username


def test_session_writes_need_csrf_but_token_writes_do_not(user: Any) -> None:
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(user)
    body = {"theme": "Space pirates", "industry": "Logistics"}

    assert session.post("/api/simulations/", body, format="json").status_code == 403

    token = APIClient(enforce_csrf_checks=True)
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert token.post("/api/simulations/", body, format="json").status_code == 201


@pytest.mark.parametrize("debug", [True, False])
def test_the_sign_in_hint_points_to_the_password_only_in_debug(
    anon_client: APIClient, settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug

    hint = anon_client.get("/api/auth/csrf/").json()["sign_in_hint"]

    if debug:
        assert ".simcrm-admin-password" in hint and "./run" in hint
    else:
        assert hint is None
