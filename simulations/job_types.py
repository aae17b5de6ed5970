from django.db import models


class JobType(models.TextChoices):
    """The job types of simulations; each has a handler registered in SimulationsConfig.ready()."""

    CREATE_COMPANY = "CREATE_COMPANY", "Create company"
    CREATE_CONTACT = "CREATE_CONTACT", "Create contact"
    ADVANCE_LIFECYCLE = "ADVANCE_LIFECYCLE", "Advance lifecycle stage"
    CREATE_DEAL = "CREATE_DEAL", "Create deal"
    ADVANCE_DEAL = "ADVANCE_DEAL", "Advance deal stage"
