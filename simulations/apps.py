from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "simulations"

    def ready(self) -> None:
        from jobs.registry import job_handler_register, job_queue_pass_hook_register, owner_lifecycle_register
        from simulations.companies import CREATE_COMPANY_HANDLER
        from simulations.contacts import CREATE_CONTACT_HANDLER
        from simulations.lifecycle import JOB_QUEUE_LIFECYCLE
        from simulations.planner import simulations_plan_due
        from simulations.stages import ADVANCE_DEAL_HANDLER, ADVANCE_LIFECYCLE_HANDLER, CREATE_DEAL_HANDLER

        owner_lifecycle_register(JOB_QUEUE_LIFECYCLE)
        # In the order a record's jobs build on each other: within one claim, types run in this order.
        for handler in (
            CREATE_COMPANY_HANDLER,
            CREATE_CONTACT_HANDLER,
            ADVANCE_LIFECYCLE_HANDLER,
            CREATE_DEAL_HANDLER,
            ADVANCE_DEAL_HANDLER,
        ):
            job_handler_register(handler)
        job_queue_pass_hook_register(simulations_plan_due)
