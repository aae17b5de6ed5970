import factory
from django.contrib.auth.models import User
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from personas.models import CachedPersona, PersonaSource
from simulations.job_types import JobType
from simulations.models import Contact, ContactSource, RecordFrequency, Simulation

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class SimulationFactory(factory.django.DjangoModelFactory[Simulation]):
    class Meta:
        model = Simulation

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Simulation {n}")
    theme = "Rock band record label"
    industry = "Music"
    record_frequency = RecordFrequency.HOURLY


class ScheduledJobFactory(factory.django.DjangoModelFactory[ScheduledJob]):
    class Meta:
        model = ScheduledJob

    simulation = factory.SubFactory(SimulationFactory)
    job_type = JobType.CREATE_CONTACT
    payload = factory.LazyAttribute(lambda job: {"theme": job.simulation.theme, "industry": job.simulation.industry})
    scheduled_for = factory.LazyFunction(timezone.now)
    status = JobStatus.PENDING


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
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
    occurred_at = factory.LazyFunction(timezone.now)


class CachedPersonaFactory(factory.django.DjangoModelFactory[CachedPersona]):
    class Meta:
        model = CachedPersona

    theme = "Rock band record label"
    industry = factory.Sequence(lambda n: f"Music {n}")
    cache_key = factory.LazyAttribute(lambda persona: f"{persona.theme.lower()}|{persona.industry.lower()}")
    source = PersonaSource.OFFLINE
    persona_data = factory.LazyFunction(
        lambda: {"personas": [{"firstname": "Ada", "lastname": "Lovelace", "jobtitle": "Engineer"}]}
    )
