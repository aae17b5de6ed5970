from django.apps import AppConfig


class KindProbeConfig(AppConfig):
    """A record kind that exists only in the tests: its registration (tests/settings.py installs the app)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tests.kind_probe"
    label = "kind_probe"

    def ready(self) -> None:
        from simulations.kinds import record_kind_register
        from tests.kind_probe.models import PARTNERS

        record_kind_register(PARTNERS)
