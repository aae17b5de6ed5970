"""Every admin page is for staff only, and no record is made by hand where the services must make it."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/jobs/scheduledjob/",
    "/admin/simulations/simulation/",
    "/admin/simulations/contact/",
    "/admin/personas/cachedpersona/",
]
# Jobs need a handler's effect, simulations need their jobs, pools come from a provider.
NOT_ADDED_BY_HAND = ["/admin/jobs/scheduledjob/", "/admin/simulations/simulation/", "/admin/personas/cachedpersona/"]


@pytest.mark.parametrize("path", ["/admin/", *CHANGELISTS])
def test_non_staff_is_sent_to_login(user: Any, path: str) -> None:
    client = Client()
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("path", CHANGELISTS)
def test_anonymous_is_sent_to_login(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("path", CHANGELISTS)
def test_staff_sees_the_changelist(admin_client: Client, path: str) -> None:
    assert admin_client.get(path).status_code == 200


@pytest.mark.parametrize("path", NOT_ADDED_BY_HAND)
def test_records_are_not_added_by_hand(admin_client: Client, path: str) -> None:
    assert admin_client.get(f"{path}add/").status_code == 403
