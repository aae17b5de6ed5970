"""The routes of record kinds: /api/simulations/{id}/<kind>/ for every kind with an API list."""

from django.urls import URLPattern, path

from simulations.api.views import record_list_view
from simulations.kinds import listed_kinds

urlpatterns: list[URLPattern] = [
    path(f"simulations/<int:pk>/{kind.name}/", record_list_view(kind), name=f"simulation-{kind.name}")
    for kind in listed_kinds()
]
