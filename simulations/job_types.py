from django.db import models


class JobType(models.TextChoices):
    """The job types of simulations; each has a handler registered in SimulationsConfig.ready(), but
    SYNC_CRM, whose handler (delivery to a connected CRM) ConnectorsConfig.ready() registers."""

    CREATE_COMPANY = "CREATE_COMPANY", "Create company"
    CREATE_CONTACT = "CREATE_CONTACT", "Create contact"
    ADVANCE_LIFECYCLE = "ADVANCE_LIFECYCLE", "Advance lifecycle stage"
    CREATE_DEAL = "CREATE_DEAL", "Create deal"
    ADVANCE_DEAL = "ADVANCE_DEAL", "Advance deal stage"
    SYNC_CRM = "SYNC_CRM", "Deliver to a CRM"
