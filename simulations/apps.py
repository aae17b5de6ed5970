from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "simulations"

    def ready(self) -> None:
        from jobs.registry import job_queue_pass_hook_register, owner_lifecycle_register
        from simulations.kinds import record_kind_register
        from simulations.kinds.companies import COMPANIES
        from simulations.kinds.contacts import CONTACTS
        from simulations.kinds.deals import DEALS
        from simulations.kinds.moves import MOVES
        from simulations.lifecycle import JOB_QUEUE_LIFECYCLE
        from simulations.planner import simulations_plan_due

        owner_lifecycle_register(JOB_QUEUE_LIFECYCLE)
        # In the order records build on each other: within one claim, their job types run in this order.
        for kind in (COMPANIES, CONTACTS, DEALS, MOVES):
            record_kind_register(kind)
        job_queue_pass_hook_register(simulations_plan_due)
