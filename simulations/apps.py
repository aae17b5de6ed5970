from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "simulations"

    def ready(self) -> None:
        from jobs.registry import job_handler_register, job_queue_pass_hook_register, owner_lifecycle_register
        from simulations.contacts import CREATE_CONTACT_HANDLER
        from simulations.lifecycle import JOB_QUEUE_LIFECYCLE
        from simulations.planner import simulations_plan_due

        owner_lifecycle_register(JOB_QUEUE_LIFECYCLE)
        job_handler_register(CREATE_CONTACT_HANDLER)
        job_queue_pass_hook_register(simulations_plan_due)
