from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from connectors.api import ConnectionViewSet
from core.views import SchemaView, client_app
from jobs.api import JobViewSet
from operations.status import StatusView
from operations.views import metrics
from personas.api import CachedPersonaViewSet
from simulations.api.views import SimulationViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("simulations", SimulationViewSet, basename="simulation")
router.register("jobs", JobViewSet, basename="job")
router.register("personas", CachedPersonaViewSet, basename="persona")
router.register("connections", ConnectionViewSet, basename="connection")

api_patterns: list[URLPattern | URLResolver] = [
    path("", include("core.urls")),
    path("status/", StatusView.as_view(), name="status"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]), name="docs"),
    path("", include(router.urls)),
    path("", include("simulations.api.urls")),
    path("", include("activities.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("metrics", metrics, name="metrics"),
    # Everything else is the React client, which routes in the browser.
    re_path(r"^(?!api/|admin/|static/|metrics$).*$", client_app, name="client"),
]
