import pytest
from django.test import Client

from tests.factories import ContactFactory, ScheduledJobFactory, SimulationFactory, UserFactory

pytestmark = pytest.mark.django_db


def listed(client: Client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return {row.pk for row in response.context["cl"].result_list}


def test_simulation_changelist_filters_and_searches(admin_client: Client) -> None:
    pirates = SimulationFactory.create(theme="Space pirates", owner=UserFactory.create(username="captain"))
    paused = SimulationFactory.create(theme="Rock band", status="paused", record_frequency="1wk")
    url = "/admin/simulations/simulation/"

    assert listed(admin_client, url) == {pirates.pk, paused.pk}
    assert listed(admin_client, url + "?status__exact=paused") == {paused.pk}
    assert listed(admin_client, url + "?record_frequency__exact=1wk") == {paused.pk}
    assert listed(admin_client, url + "?q=pirates") == {pirates.pk}
    assert listed(admin_client, url + "?q=captain") == {pirates.pk}


def test_simulation_change_page_lists_its_contacts(admin_client: Client) -> None:
    simulation = SimulationFactory.create()
    ContactFactory.create(simulation=simulation, email="ada@example.com")

    response = admin_client.get(f"/admin/simulations/simulation/{simulation.pk}/change/")

    assert response.status_code == 200
    assert "ada@example.com" in response.content.decode()


def test_contact_changelist_filters_and_searches(admin_client: Client) -> None:
    ada = ContactFactory.create(firstname="Ada", email="ada@example.com", source="openai")
    grace = ContactFactory.create(firstname="Grace", email="grace@example.com")
    url = "/admin/simulations/contact/"

    assert listed(admin_client, url) == {ada.pk, grace.pk}
    assert listed(admin_client, url + "?source__exact=openai") == {ada.pk}
    assert listed(admin_client, url + "?q=grace") == {grace.pk}
    assert listed(admin_client, url + f"?simulation__id__exact={ada.simulation_id}") == {ada.pk}


def test_contact_change_page_loads(admin_client: Client) -> None:
    contact = ContactFactory.create(job=ScheduledJobFactory.create())

    response = admin_client.get(f"/admin/simulations/contact/{contact.pk}/change/")

    assert response.status_code == 200
    assert 'name="source"' not in response.content.decode()


def test_simulations_are_not_added_or_re_statused_by_hand(admin_client: Client) -> None:
    cancelled = SimulationFactory.create(status="cancelled")
    url = f"/admin/simulations/simulation/{cancelled.pk}/change/"

    form = admin_client.get(url).content.decode()
    assert 'name="status"' not in form and 'name="record_frequency"' not in form
    admin_client.post(
        url, {"name": "renamed", "status": "running", "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0"}
    )
    cancelled.refresh_from_db()
    assert (cancelled.name, cancelled.status) == ("renamed", "cancelled")


def test_pause_resume_and_cancel_actions_go_through_the_services(admin_client: Client) -> None:
    from django.contrib.admin import helpers

    from jobs.models import JobStatus
    from simulations.services import simulation_create

    simulation = simulation_create(owner=UserFactory.create(), theme="Admin", industry="Ops")
    url = "/admin/simulations/simulation/"

    def act(action: str) -> str:
        response = admin_client.post(
            url, {"action": action, helpers.ACTION_CHECKBOX_NAME: [simulation.pk]}, follow=True
        )
        simulation.refresh_from_db()
        return response.content.decode()

    act("pause_simulations")
    assert simulation.status == "paused"
    act("resume_simulations")
    assert simulation.status == "running"
    act("cancel_simulations")
    assert simulation.status == "cancelled"
    assert set(simulation.jobs.values_list("status", flat=True)) == {JobStatus.CANCELLED}
    assert "Skipped" in act("pause_simulations")  # a cancelled simulation cannot be paused
    assert simulation.status == "cancelled"
