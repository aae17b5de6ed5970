from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connectors"

    def ready(self) -> None:
        from connectors.delivery import SYNC_CRM_HANDLER
        from connectors.forecast import hubspot_requests_forecast
        from connectors.links import SimulationConnections
        from connectors.outbox import records_enqueue
        from jobs.registry import job_handler_register
        from simulations.delivery import (
            connection_links_register,
            delivery_forecast_register,
            delivery_hook_register,
        )

        job_handler_register(SYNC_CRM_HANDLER)
        delivery_hook_register(records_enqueue)
        delivery_forecast_register(hubspot_requests_forecast)
        connection_links_register(SimulationConnections())
