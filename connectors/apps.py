from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "connectors"

    def ready(self) -> None:
        from django.conf import settings
        from django.utils.module_loading import import_string

        from connectors.crm.base import crm_adapter_register
        from connectors.delivery import SYNC_CRM_HANDLER, simcrm_ids
        from connectors.forecast import crm_requests_forecast
        from connectors.links import SimulationConnections
        from connectors.outbox import records_enqueue
        from jobs.registry import job_handler_register
        from simulations.delivery import (
            connection_links_register,
            delivery_forecast_register,
            delivery_hook_register,
            simcrm_ids_register,
        )

        # The one place that names the CRMs: a setting listing their adapters, the default kind first.
        for path in settings.SIMCRM_CRM_ADAPTERS:
            crm_adapter_register(import_string(path))
        job_handler_register(SYNC_CRM_HANDLER)
        delivery_hook_register(records_enqueue)
        delivery_forecast_register(crm_requests_forecast)
        connection_links_register(SimulationConnections())
        simcrm_ids_register(simcrm_ids)
