from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from connectors import services
from connectors.crm.base import crm_kind_choices, crm_tier_choices
from connectors.models import Connection
from core.fields import StrictCharField, StrictChoiceField


class DeliveryCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField(help_text="Waiting to be sent (or held while the connection is not ok).")
    synced = serializers.IntegerField(help_text="Delivered.")
    failed = serializers.IntegerField(help_text="Not delivered; each record's sync_error says why.")


class ConnectionSerializer(serializers.ModelSerializer):
    delivery = serializers.SerializerMethodField(
        help_text="The records of the simulations that deliver to it, by delivery status."
    )
    secret_last4 = serializers.CharField(
        source="token_last4", help_text="The last four characters of its secret (its token or client secret)."
    )
    daily_share = serializers.FloatField(
        allow_null=True,
        help_text="The share of what the account has left of its daily API allocation that SimCRM may use, for a "
        "CRM that reports it; null where the daily limit is a fixed number per tier.",
    )

    class Meta:
        model = Connection
        fields = [
            "id",
            "name",
            "kind",
            "base_url",
            "tier",
            "token_last4",
            "secret_last4",
            "client_id",
            "daily_share",
            "status",
            "last_error",
            "portal_id",
            "created_at",
            "delivery",
        ]
        read_only_fields = fields

    @extend_schema_field(DeliveryCountsSerializer)
    def get_delivery(self, connection: Connection) -> dict[str, int]:
        # A list computes every row's counts at once (ConnectionViewSet.get_serializer_context).
        counts: dict[int, dict[str, int]] | None = self.context.get("delivery_counts")
        if counts is None or connection.pk not in counts:
            counts = services.connection_delivery_counts(connection_ids=[connection.pk])
        return counts[connection.pk]


def _token_checked(value: str) -> str:
    # It travels in an HTTP header, which takes printable ASCII only.
    if not value.isascii() or not value.isprintable() or " " in value:
        raise serializers.ValidationError("A token, client id or secret is printable ASCII without spaces.")
    return value


def _choices_of_adapters(serializer: serializers.Serializer) -> None:
    # Read when the serializer is made, not when this module is imported: the registered adapters'.
    for name, choices in (("kind", crm_kind_choices), ("tier", crm_tier_choices)):
        field = serializer.fields.get(name)
        if isinstance(field, serializers.ChoiceField):
            field.choices = choices()


class CredentialFields(serializers.Serializer):
    """The secrets and client ids of every kind of connection; which a kind takes, its adapter says
    (connectors.services checks them against it)."""

    access_token = StrictCharField(
        max_length=1000, required=False, write_only=True, help_text="The CRM's access token (HubSpot)."
    )
    client_id = StrictCharField(
        max_length=255, required=False, help_text="The OAuth client (consumer key) of a CRM that takes one."
    )
    client_secret = StrictCharField(
        max_length=1000, required=False, write_only=True, help_text="That client's secret, stored encrypted."
    )
    daily_share = serializers.FloatField(
        min_value=0.01,
        max_value=1,
        required=False,
        help_text="The share (0.01 to 1) of the account's remaining daily API allocation SimCRM may use, for a "
        "CRM that reports it; default 0.5.",
    )

    def validate_access_token(self, value: str) -> str:
        return _token_checked(value)

    def validate_client_id(self, value: str) -> str:
        return _token_checked(value)

    def validate_client_secret(self, value: str) -> str:
        return _token_checked(value)


class ConnectionCreateSerializer(CredentialFields):
    name = StrictCharField(max_length=255)
    kind = StrictChoiceField(choices=[])  # the registered adapters' kinds
    base_url = serializers.URLField(max_length=500, required=False, help_text="Default: the CRM's API address.")
    instance_url = serializers.URLField(
        max_length=500, required=False, help_text="The account's own address, for a CRM that has one per account."
    )
    tier = StrictChoiceField(choices=[], required=False)  # its adapter's, which default to their first

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices_of_adapters(self)

    def validate_base_url(self, value: str) -> str:
        return value.rstrip("/")

    def validate_instance_url(self, value: str) -> str:
        return value.rstrip("/")


# What a PATCH may change.
CHANGEABLE = ("name", "access_token", "client_id", "client_secret", "tier", "daily_share")


class ConnectionUpdateSerializer(CredentialFields):
    name = StrictCharField(max_length=255, required=False)
    tier = StrictChoiceField(choices=[], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices_of_adapters(self)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            others = sorted(str(key) for key in data if key not in self.fields)
            if others:
                message = f"Only {', '.join(CHANGEABLE)} can be changed."
                raise serializers.ValidationError(
                    {key: [message] for key in others if key.isprintable()} or {"non_field_errors": [message]}
                )
        return super().to_internal_value(data)


class ConnectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your CRM connections; the token is written, never read back (`token_last4` shows which one)."""

    serializer_class = ConnectionSerializer

    def get_queryset(self) -> QuerySet[Connection]:
        # Everyone's own only, staff included: a connection carries a token (staff see them in the admin).
        return Connection.objects.filter(owner_id=self.request.user.pk).order_by("-created_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the project's default pagination is always on
        counts = services.connection_delivery_counts(connection_ids=[connection.pk for connection in page])
        data = ConnectionSerializer(
            page, many=True, context={**self.get_serializer_context(), "delivery_counts": counts}
        )
        return self.get_paginated_response(data.data)

    @extend_schema(request=ConnectionCreateSerializer, responses={201: ConnectionSerializer})
    def create(self, request: Request) -> Response:
        data = ConnectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = services.connection_create(owner=cast(User, request.user), **data.validated_data)
        return Response(ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConnectionUpdateSerializer, responses=ConnectionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        connection = self.get_object()
        data = ConnectionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.connection_update(connection=connection, **data.validated_data)
        return Response(ConnectionSerializer(updated).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.connection_delete(connection=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=inline_serializer("RetriedDeliveries", fields={"retried": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"], url_path="retry-failed")
    def retry_failed(self, request: Request, pk: str) -> Response:
        """Queue every failed delivery of this connection's simulations again."""
        return Response({"retried": services.deliveries_retry_failed(connection=self.get_object())})
