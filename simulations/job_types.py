from django.db import models


class JobType(models.TextChoices):
    """The job types of simulations; each has a handler registered in SimulationsConfig.ready()."""

    CREATE_CONTACT = "CREATE_CONTACT", "Create contact"
