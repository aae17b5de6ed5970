from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from simcrm_project.views import client_app
from simulations.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("simulations", views.SimulationViewSet, basename="simulation")
router.register("jobs", views.JobViewSet, basename="job")
router.register("personas", views.CachedPersonaViewSet, basename="persona")

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("auth/csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("health/", views.HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]), name="docs"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # Everything else is the React client, which routes in the browser.
    re_path(r"^(?!api/|admin/|static/).*$", client_app, name="client"),
]
