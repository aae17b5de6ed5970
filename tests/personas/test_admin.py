import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from personas.models import CachedPersona, PersonaPoolGeneration, PersonaSource, PoolKind
from tests.factories import CachedPersonaFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/personas/cachedpersona/"


def test_changelist_filters_and_searches(admin_client: Client) -> None:
    openai = CachedPersonaFactory.create(theme="Space pirates", source=PersonaSource.OPENAI)
    offline = CachedPersonaFactory.create(theme="Rock band")

    cases = {
        "": {openai.pk, offline.pk},
        "?source__exact=openai": {openai.pk},
        "?q=pirates": {openai.pk},
        "?q=rock&source__exact=offline": {offline.pk},
    }
    for query, expected in cases.items():
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200, query
        assert {row.pk for row in response.context["cl"].result_list} == expected, query


def test_change_page_is_read_only(admin_client: Client) -> None:
    persona = CachedPersonaFactory.create()

    response = admin_client.get(f"{CHANGELIST}{persona.pk}/change/")

    assert response.status_code == 200
    assert 'name="persona_data"' not in response.content.decode()
    assert "Lovelace" in response.content.decode()


def test_purge_action_deletes_selected_pools(admin_client: Client) -> None:
    purged = [CachedPersonaFactory.create() for _ in range(2)]
    kept = CachedPersonaFactory.create()

    response = admin_client.post(
        CHANGELIST, {"action": "purge", ACTION_CHECKBOX_NAME: [p.pk for p in purged]}, follow=True
    )

    assert response.status_code == 200
    assert list(CachedPersona.objects.values_list("pk", flat=True)) == [kept.pk]
    assert "Purged 2" in response.content.decode()


def test_purge_is_the_only_way_to_remove_a_pool_and_says_what_it_does(admin_client: Client) -> None:
    pool = CachedPersonaFactory.create(kind=PoolKind.COMPANY, entries=[{"name": f"Acme {n}"} for n in range(3)])

    listing = admin_client.get(CHANGELIST).content.decode()
    # Django's "Delete selected" would skip the purge's generation bump: not offered.
    assert 'value="delete_selected"' not in listing
    assert "Purge selected pools (delete them; the next run of their theme and industry writes new ones)" in listing
    assert "3 companies" in listing

    # The confirmation page names the pool and counts its entries rather than listing every one.
    confirm = admin_client.get(f"{CHANGELIST}{pool.pk}/delete/").content.decode()
    assert "and its 3 companies" in confirm and "Persona pool entry" not in confirm

    # The change page's Delete button purges too: the key's generation moves on.
    response = admin_client.post(f"{CHANGELIST}{pool.pk}/delete/", {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert not CachedPersona.objects.exists()
    generation = PersonaPoolGeneration.objects.get(cache_key=pool.cache_key, source=pool.source)
    assert generation.generation == 1
