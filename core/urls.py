from django.urls import URLPattern, path

from core import views

urlpatterns: list[URLPattern] = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("auth/csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("health/", views.HealthView.as_view(), name="health"),
]
