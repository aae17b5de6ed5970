from typing import Any

from rest_framework import serializers

from core.fields import StrictCharField


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=1024, trim_whitespace=False)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {"id": instance.pk, "username": instance.get_username(), "is_staff": instance.is_staff}
