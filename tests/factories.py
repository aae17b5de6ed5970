from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from jobs.models import JobStatus, JobType, ScheduledJob
from simulations.models import Contact, ContactSource, RecordFrequency, Simulation

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()


class SimulationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Simulation

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Simulation {n}")
    theme = "Rock band record label"
    industry = "Music"
    record_frequency = RecordFrequency.HOURLY


class ScheduledJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduledJob

    simulation = factory.SubFactory(SimulationFactory)
    job_type = JobType.CREATE_CONTACT
    payload = factory.LazyAttribute(lambda job: {"theme": job.simulation.theme, "industry": job.simulation.industry})
    scheduled_for = factory.LazyFunction(timezone.now)
    status = JobStatus.PENDING


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    simulation = factory.SubFactory(SimulationFactory)
    firstname = factory.Faker("first_name")
    lastname = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    jobtitle = "Manager"
    company = "Acme"
    industry = "Music"
    source = ContactSource.OFFLINE
