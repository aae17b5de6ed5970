from django.apps import AppConfig


class StandinsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "standins"
    verbose_name = "Local stand-ins of outside services"
