from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from connectors.crypto import token_encrypt
from connectors.models import Connection
from jobs.models import JobStatus, ScheduledJob
from personas.models import POOL_DATA_KEYS, CachedPersona, PersonaSource, PoolKind
from personas.services import persona_pool_extend
from simulations.curves import Plan
from simulations.job_types import JobType
from simulations.models import Company, Contact, ContactSource, Deal, RecordFrequency, Simulation

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


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    simulation = factory.SubFactory(SimulationFactory)
    name = factory.Sequence(lambda n: f"Company {n}")
    domain = factory.Sequence(lambda n: f"company{n}.example.com")
    industry = "Music"
    employees = 10
    source = PersonaSource.OFFLINE
    record_index = factory.Sequence(lambda n: n)
    occurred_at = factory.LazyFunction(timezone.now)


class DealFactory(factory.django.DjangoModelFactory[Deal]):
    class Meta:
        model = Deal

    simulation = factory.SubFactory(SimulationFactory)
    contact = factory.SubFactory(ContactFactory, simulation=factory.SelfAttribute("..simulation"))
    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("1000.00")
    closedate = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    occurred_at = factory.LazyFunction(timezone.now)


class ConnectionFactory(factory.django.DjangoModelFactory[Connection]):
    class Meta:
        model = Connection

    class Params:
        token = "pat-test-0000"

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Portal {n}")
    token_encrypted = factory.LazyAttribute(lambda connection: token_encrypt(connection.token))
    token_last4 = factory.LazyAttribute(lambda connection: connection.token[-4:])


class PlanFactory(factory.Factory[Plan]):
    """A planned schedule over the past 30 days, for simulation_create(plan=...)."""

    class Meta:
        model = Plan

    total_records = 100
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    ends_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    distribution = "uniform"
    curve_weights = None
    timezone = "UTC"
    seed = factory.Sequence(lambda n: n)


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
