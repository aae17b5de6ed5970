from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "simulations"

    def ready(self) -> None:
        from jobs.registry import job_handler_register, owner_lifecycle_register
        from simulations.contacts import CREATE_CONTACT_HANDLER
        from simulations.lifecycle import JOB_QUEUE_LIFECYCLE

        owner_lifecycle_register(JOB_QUEUE_LIFECYCLE)
        job_handler_register(CREATE_CONTACT_HANDLER)
