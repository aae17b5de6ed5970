from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    """Emails, calls, meetings, notes and tasks: five record kinds (activities/kinds/), planned with the funnel."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "activities"

    def ready(self) -> None:
        from activities.kinds import activity_kinds
        from simulations.kinds import record_kind_register

        for kind in activity_kinds():
            record_kind_register(kind)
