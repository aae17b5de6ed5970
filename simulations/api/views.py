from typing import Any, cast

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.models import ScheduledJob
from jobs.services import scheduled_job_retry
from personas.models import CachedPersona
from simulations import selectors, services
from simulations.api.serializers import (
    CachedPersonaSerializer,
    ContactSerializer,
    JobSerializer,
    LoginSerializer,
    MeSerializer,
    SimulationCreateSerializer,
    SimulationSerializer,
)
from simulations.api.throttles import SimulationCreateThrottle
from simulations.models import Simulation


class SimulationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SimulationSerializer

    def get_queryset(self) -> QuerySet[Simulation]:
        return selectors.simulation_list(user=self.request.user)

    def get_throttles(self) -> list[Any]:
        return [SimulationCreateThrottle()] if self.action == "create" else super().get_throttles()

    @extend_schema(request=SimulationCreateSerializer, responses={201: SimulationSerializer})
    def create(self, request: Request) -> Response:
        data = SimulationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # IsAuthenticated has already turned anonymous callers away.
        owner = cast(User, request.user)
        simulation = services.simulation_create(owner=owner, **data.validated_data)
        return Response(self._present(simulation), status=status.HTTP_201_CREATED)

    def _present(self, simulation: Simulation) -> dict[str, Any]:
        return SimulationSerializer(self.get_queryset().get(pk=simulation.pk)).data

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str) -> Response:
        return Response(self._present(services.simulation_pause(simulation=self.get_object())))

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        return Response(self._present(services.simulation_resume(simulation=self.get_object())))

    @extend_schema(request=None, responses=SimulationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return Response(self._present(services.simulation_cancel(simulation=self.get_object())))

    @extend_schema(responses=JobSerializer(many=True))
    @action(detail=True, methods=["get"])
    def jobs(self, request: Request, pk: str) -> Response:
        jobs = self.get_object().jobs.order_by("scheduled_for", "id")
        page = self.paginate_queryset(jobs)
        return self.get_paginated_response(JobSerializer(page, many=True).data)

    @extend_schema(responses=ContactSerializer(many=True))
    @action(detail=True, methods=["get"])
    def contacts(self, request: Request, pk: str) -> Response:
        contacts = self.get_object().contacts.order_by("created_at", "id")
        page = self.paginate_queryset(contacts)
        return self.get_paginated_response(ContactSerializer(page, many=True).data)


class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer

    def get_queryset(self) -> QuerySet[ScheduledJob]:
        return selectors.job_list(user=self.request.user)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        return Response(JobSerializer(scheduled_job_retry(job=self.get_object())).data)


class CachedPersonaViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = CachedPersonaSerializer
    permission_classes = [IsAdminUser]
    queryset = CachedPersona.objects.order_by("-updated_at", "-id")


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
    @extend_schema(responses=inline_serializer("Csrf", {"csrfToken": serializers.CharField()}))
    def get(self, request: Request) -> Response:
        return Response({"csrfToken": get_token(request._request)})


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
