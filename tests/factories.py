from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from jobs.models import JobStatus, ScheduledJob
from personas.models import POOL_DATA_KEYS, CachedPersona, PersonaSource, PoolKind
from personas.services import persona_pool_extend
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
        skip_postgeneration_save = True

    theme = "Rock band record label"
    industry = factory.Sequence(lambda n: f"Music {n}")
    cache_key = factory.LazyAttribute(lambda persona: f"{persona.theme.lower()}|{persona.industry.lower()}")
    source = PersonaSource.OFFLINE
    kind = PoolKind.CONTACT
    persona_data = factory.LazyAttribute(lambda persona: {POOL_DATA_KEYS[persona.kind]: []})

    @factory.post_generation
    def entries(pool: CachedPersona, create: bool, extracted: list[dict[str, Any]] | None, **kwargs: object) -> None:
        """`entries=[...]` writes the pool's entries as rows (default: one contact)."""
        if not create:
            return
        default = [{"firstname": "Ada", "lastname": "Lovelace", "jobtitle": "Engineer"}]
        persona_pool_extend(pool=pool, entries=default if extracted is None else extracted)
        pool.refresh_from_db()
