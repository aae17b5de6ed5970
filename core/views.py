"""The views every part of SimCRM shares: sign-in, the health check, and the React client."""

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import LoginSerializer, MeSerializer

SIGN_IN_HINT = (
    "First time here? ./run printed the staff user and password when it started; "
    "a generated password is also kept in .simcrm-admin-password next to manage.py."
)


@ensure_csrf_cookie
def client_app(request: HttpRequest) -> HttpResponse:
    """Serve the React client's built index.html, or say how to build it."""
    index = settings.CLIENT_DIST_DIR / "index.html"
    if index.exists():
        return HttpResponse(index.read_text(encoding="utf-8"))
    return render(request, "client_missing.html", status=503)


def _credentials_user(request: Request) -> Any:
    credentials = LoginSerializer(data=request.data)
    credentials.is_valid(raise_exception=True)
    user = authenticate(request._request, **credentials.validated_data)
    if user is None or not user.is_active:
        raise ValidationError({"non_field_errors": ["Unable to sign in with the given username and password."]})
    return user


class TokenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=LoginSerializer, responses=inline_serializer("Token", {"token": serializers.CharField()}))
    def post(self, request: Request) -> Response:
        token, _ = Token.objects.get_or_create(user=_credentials_user(request))
        return Response({"token": token.key})


class LoginView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=LoginSerializer, responses=MeSerializer)
    def post(self, request: Request) -> Response:
        # Sign-in writes a session, so it needs CSRF protection even though nobody is signed in yet.
        SessionAuthentication().enforce_csrf(request)
        user = _credentials_user(request)
        login(request._request, user)
        return Response(MeSerializer(user).data)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class CsrfView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @method_decorator(ensure_csrf_cookie)
    @extend_schema(
        responses=inline_serializer(
            "Csrf",
            {
                "csrfToken": serializers.CharField(),
                "sign_in_hint": serializers.CharField(
                    allow_null=True, help_text="Where a local install's password is; only while DEBUG is on."
                ),
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response(
            {"csrfToken": get_token(request._request), "sign_in_hint": SIGN_IN_HINT if settings.DEBUG else None}
        )


class HealthView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(responses=inline_serializer("Health", {"status": serializers.CharField()}))
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any database failure means "not healthy"
            return Response({"status": "error", "database": "unavailable"}, status=503)
        return Response({"status": "ok", "database": "ok"})


class SchemaView(SpectacularAPIView):
    """The OpenAPI document. A browser asks for HTML and would download the YAML media type, so it
    gets the same YAML as plain text, which it shows; API clients get the usual media types."""

    permission_classes: list[Any] = []

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if "text/html" in request.headers.get("Accept", "") and response.status_code == status.HTTP_200_OK:
            response.content_type = "text/plain; charset=utf-8"
        return response
