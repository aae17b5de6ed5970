from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connectors"

    def ready(self) -> None:
        from connectors.crm.base import crm_adapter_register
        from connectors.crm.hubspot.adapter import HUBSPOT_ADAPTER
        from connectors.delivery import SYNC_CRM_HANDLER
        from connectors.forecast import crm_requests_forecast
        from connectors.links import SimulationConnections
        from connectors.outbox import records_enqueue
        from jobs.registry import job_handler_register
        from simulations.delivery import (
            connection_links_register,
            delivery_forecast_register,
            delivery_hook_register,
        )

        crm_adapter_register(HUBSPOT_ADAPTER)
        job_handler_register(SYNC_CRM_HANDLER)
        delivery_hook_register(records_enqueue)
        delivery_forecast_register(crm_requests_forecast)
        connection_links_register(SimulationConnections())
