"""The persona cache: one pool of personas per normalised (theme, industry), provider and kind
(contacts or companies).

A job takes one persona its simulation has not used yet. A pool that has none left for that
simulation is extended by one provider call; concurrent takes on one cold key share that call.
"""

import hashlib
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from personas.errors import PersonaError
from personas.models import POOL_DATA_KEYS, CachedPersona, PersonaPoolGeneration, PersonaSource, PoolKind
from personas.validation import (
    GeneratedBatch,
    GeneratedCompanies,
    clean_companies,
    clean_personas,
    company_name_key,
    name_key,
    persona_email_key,
    persona_name_key,
)

__all__ = [
    "PersonaError",
    "TakenCompany",
    "TakenPersona",
    "companies_for_records",
    "company_for_record",
    "name_key",
    "persona_cache_key",
    "persona_email_key",
    "persona_name_key",
    "persona_pick_unused",
    "persona_pool_record_hits",
    "persona_pools_purge",
    "persona_pools_warm",
    "persona_provider_name",
    "persona_take",
    "personas_for_records",
]

logger = logging.getLogger(__name__)

# Advisory locks take (int4, int4): a fixed namespace for persona keys keeps them apart from any other
# advisory lock in the project (and from single-bigint locks, which Postgres keeps in another space).
_LOCK_NAMESPACE = int.from_bytes(hashlib.blake2b(b"simcrm.personas", digest_size=4).digest(), "big", signed=True)
_LOCK_POLL_SECONDS = 0.05
_LOCK_SLACK_SECONDS = 10.0


@dataclass(frozen=True)
class TakenPersona:
    data: dict[str, str]  # firstname, lastname, email, jobtitle, company, industry
    source: str  # "openai" | "offline"
    cached: bool  # True if served from the pool without a provider call in this call
    model: str | None = None  # the OpenAI model that wrote its pool (the last one that grew it); None offline
    # The pool it came from when that read is a hit the caller still has to count (in its commit); else None.
    # Bookkeeping, not the persona: two takes of one persona compare equal whoever counts the hit.
    pool_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class TakenCompany:
    data: dict[str, Any]  # name, domain, industry, city, country, employees (int)
    source: str  # "openai" | "offline"
    cached: bool
    model: str | None = None  # as TakenPersona.model
    pool_id: int | None = field(default=None, compare=False)  # as TakenPersona.pool_id


def tidy_text(text: str) -> str:
    """Trimmed and whitespace-collapsed; NUL removed (PostgreSQL refuses it)."""
    return " ".join(text.replace("\x00", "").split())


def normalise_text(text: str) -> str:
    """tidy_text(), case-folded: the form cache keys compare in."""
    return tidy_text(text).casefold()


def persona_cache_key(*, theme: str, industry: str) -> str:
    """The cache key: "Rock Band"/"Music" and " rock  band"/"MUSIC" are one key.

    A newline separates the parts; normalisation removes every newline from them, so no two
    (theme, industry) pairs share a key.
    """
    return f"{normalise_text(theme)}\n{normalise_text(industry)}"


def _key_label(key: str) -> str:
    """A cache key as a log line shows it: "theme / industry" on one line."""
    return '"' + key.replace("\n", " / ") + '"'


def persona_provider_name() -> str:
    """The configured provider: "openai" or "offline" (settings.SIMCRM_PERSONA_PROVIDER)."""
    name = str(settings.SIMCRM_PERSONA_PROVIDER or "").strip().lower()
    if name not in PersonaSource.values:
        raise PersonaError(
            f"SIMCRM_PERSONA_PROVIDER must be 'openai' or 'offline', not {name!r}. Fix the setting and retry the job.",
            retryable=False,
            code="bad_provider",
        )
    return name


def _generate(
    source: str, *, key: str, theme: str, industry: str, avoid_names: list[str], kind: str = PoolKind.CONTACT
) -> GeneratedBatch | GeneratedCompanies:
    """One provider call. Offline output is seeded by the pool's generation, so a purge writes new people."""
    count = settings.SIMCRM_PERSONA_POOL_SIZE
    if kind == PoolKind.COMPANY:
        # Offline companies are a pure function of their record's seed and never pooled: only OpenAI fills these.
        from personas import agent

        return agent.generate_companies(theme=theme, industry=industry, count=count, avoid_names=avoid_names)
    if source == PersonaSource.OPENAI:
        from personas import agent

        return agent.generate_personas(theme=theme, industry=industry, count=count, avoid_names=avoid_names)
    from personas import offline

    return offline.generate_personas(
        theme=theme,
        industry=industry,
        count=count,
        avoid_names=avoid_names,
        generation=_pool_generation(key, source),
    )


def _pool_generation(key: str, source: str) -> int:
    row = PersonaPoolGeneration.objects.filter(cache_key=key, source=source).only("generation").first()
    return row.generation if row is not None else 0


def persona_take(*, theme: str, industry: str, used_emails: set[str], used_names: set[str]) -> TakenPersona:
    """Return a persona for (theme, industry) whose email and name the calling simulation has not used.

    `used_emails` holds lower-cased emails and `used_names` case-folded "firstname lastname" strings
    (see `persona_email_key` / `persona_name_key`). A persona comes from the shared pool when it can
    (a hit); otherwise one provider call writes SIMCRM_PERSONA_POOL_SIZE more into the pool (a miss).
    On PostgreSQL only one call per key is in flight at a time: other takers wait for it and reuse
    its personas. Call it outside any transaction: a provider call can take as long as
    OPENAI_TIMEOUT_SECONDS. Raises PersonaError (from the provider, unchanged) when no persona can
    be had.
    """
    source = persona_provider_name()
    key = persona_cache_key(theme=theme, industry=industry)

    taken = _take_from_pool(key, source, used_emails, used_names)
    if taken is not None:
        return taken

    with _single_flight(key, source):
        # Whoever held the lock before us may just have filled the pool.
        taken = _take_from_pool(key, source, used_emails, used_names)
        if taken is not None:
            return taken
        pool = _pool_entries(key, source)
        avoid_names = _avoid_names(pool, used_names)
        batch = _generate(
            source, key=key, theme=tidy_text(theme), industry=tidy_text(industry), avoid_names=avoid_names
        )
        pool = _pool_append(key, source, theme=theme, industry=industry, batch=batch)

    persona = _pick_unused(pool, used_emails, used_names)
    if persona is None:
        raise PersonaError(
            "The persona provider only wrote people this simulation already has.",
            retryable=True,
            code="no_new_personas",
        )
    return TakenPersona(data=persona, source=source, cached=False, model=batch.model or None)


def persona_pools_warm(*, themes_and_industries: set[tuple[str, str]]) -> dict[tuple[str, str], CachedPersona]:
    """The existing pools for these (theme, industry) pairs and the configured provider, in one query."""
    source = persona_provider_name()
    keys = {pair: persona_cache_key(theme=pair[0], industry=pair[1]) for pair in themes_and_industries}
    pools = CachedPersona.objects.filter(cache_key__in=set(keys.values()), source=source, kind=PoolKind.CONTACT)
    rows = {row.cache_key: row for row in pools}
    return {pair: rows[key] for pair, key in keys.items() if key in rows}


def persona_pick_unused(*, pool: CachedPersona, used_emails: set[str], used_names: set[str]) -> TakenPersona | None:
    """A persona from the pool that the caller's simulation has not used, or None. Counts no hit."""
    persona = _pick_unused(pool.personas, used_emails, used_names)
    if persona is None:
        return None
    return TakenPersona(data=persona, source=pool.source, cached=True, model=pool.model or None)


def persona_pools_purge(*, pool_ids: list[int]) -> int:
    """Delete these pools (of either kind); the next job of their (theme, industry) generates a new pool.

    Each purge bumps the key's generation, which seeds the offline provider, so a purged offline pool
    is not rebuilt byte for byte.
    """
    with transaction.atomic():
        pools = list(CachedPersona.objects.select_for_update().filter(pk__in=pool_ids).order_by("id"))
        for pool in pools:
            generation, created = PersonaPoolGeneration.objects.select_for_update().get_or_create(
                cache_key=pool.cache_key, source=pool.source, defaults={"generation": 1}
            )
            if not created:
                PersonaPoolGeneration.objects.filter(pk=generation.pk).update(generation=F("generation") + 1)
        CachedPersona.objects.filter(pk__in=[pool.pk for pool in pools]).delete()
    return len(pools)


def persona_pool_record_hits(*, pool_id: int, hits: int) -> None:
    """Count records served from a pool; call it in the transaction that saves them (in pool id order)."""
    CachedPersona.objects.filter(pk=pool_id).update(hits=F("hits") + hits)


def _take_from_pool(key: str, source: str, used_emails: set[str], used_names: set[str]) -> TakenPersona | None:
    row = (
        CachedPersona.objects.filter(cache_key=key, source=source, kind=PoolKind.CONTACT)
        .only("id", "persona_data", "model")
        .first()
    )
    if row is None:
        return None
    persona = _pick_unused(row.personas, used_emails, used_names)
    if persona is None:
        return None
    CachedPersona.objects.filter(pk=row.pk).update(hits=F("hits") + 1)
    return TakenPersona(data=persona, source=source, cached=True, model=row.model or None)


def _pool_entries(key: str, source: str, kind: str = PoolKind.CONTACT) -> list[dict[str, Any]]:
    row = (
        CachedPersona.objects.filter(cache_key=key, source=source, kind=kind).only("id", "kind", "persona_data").first()
    )
    return row.entries if row is not None else []


def _pick_unused(pool: list[dict[str, str]], used_emails: set[str], used_names: set[str]) -> dict[str, str] | None:
    # Random rather than first-unused, so concurrent jobs of one simulation rarely pick the same person.
    unused = [
        persona
        for persona in pool
        if isinstance(persona, dict)
        and persona_email_key(persona)
        and persona_email_key(persona) not in used_emails
        and persona_name_key(persona) not in used_names
    ]
    return dict(random.choice(unused)) if unused else None


def _avoid_names(pool: list[dict[str, Any]], used_names: set[str]) -> list[str]:
    """Every name in the pool (as written), then the simulation's other used names, no repeats."""
    names: list[str] = []
    seen: set[str] = set()
    for persona in pool:
        if not isinstance(persona, dict):
            continue
        written = " ".join(f"{persona.get('firstname', '')} {persona.get('lastname', '')}".split())
        if written and persona_name_key(persona) not in seen:
            seen.add(persona_name_key(persona))
            names.append(written)
    names.extend(sorted(name for name in used_names if name not in seen))
    return names


def _pool_append(
    key: str, source: str, *, theme: str, industry: str, batch: GeneratedBatch | GeneratedCompanies
) -> list[dict[str, Any]]:
    """Append a batch to its pool (creating it if needed) in one short transaction; return the new pool."""
    kind = PoolKind.COMPANY if isinstance(batch, GeneratedCompanies) else PoolKind.CONTACT
    data_key = POOL_DATA_KEYS[kind]
    with transaction.atomic():
        row, _ = CachedPersona.objects.select_for_update().get_or_create(
            cache_key=key,
            source=source,
            kind=kind,
            defaults={
                "theme": tidy_text(theme)[:255],
                "industry": tidy_text(industry)[:255],
                "persona_data": {data_key: []},
            },
        )
        pool = row.entries
        written, new = _new_entries(batch, pool)
        pool = pool + new
        # The model that grew the pool last names it: a pool is almost always written by one model.
        named = {"model": batch.model} if batch.model else {}
        CachedPersona.objects.filter(pk=row.pk).update(
            **named,
            persona_data={data_key: pool},
            misses=F("misses") + 1,
            generation_calls=F("generation_calls") + 1,
            prompt_tokens=F("prompt_tokens") + batch.prompt_tokens,
            completion_tokens=F("completion_tokens") + batch.completion_tokens,
            updated_at=timezone.now(),
        )
    logger.info(
        "Persona pool %s (%s%s) grew by %d to %d (%d of the batch were duplicates)",
        _key_label(key),
        source,
        "" if kind == PoolKind.CONTACT else f", {kind}",
        len(new),
        len(pool),
        written - len(new),
    )
    return pool


def _new_entries(
    batch: GeneratedBatch | GeneratedCompanies, pool: list[dict[str, Any]]
) -> tuple[int, list[dict[str, Any]]]:
    """(how many the batch wrote, those of them that are valid and not in the pool yet)."""
    entries = [entry for entry in pool if isinstance(entry, dict)]
    if isinstance(batch, GeneratedCompanies):
        companies, _ = clean_companies(
            batch.companies,
            avoid_names=[company_name_key(c) for c in entries],
            avoid_domains=[str(c.get("domain", "")) for c in entries],
        )
        return len(batch.companies), companies
    personas, _ = clean_personas(
        batch.personas,
        avoid_names=[persona_name_key(p) for p in entries],
        avoid_emails=[persona_email_key(p) for p in entries],
    )
    return len(batch.personas), personas


def _lock_ids(key: str, source: str, kind: str = PoolKind.CONTACT) -> tuple[int, int]:
    # Contact pools keep the ids they had before pools had kinds, so workers of either version share a lock.
    name = f"{source}\n{key}" if kind == PoolKind.CONTACT else f"{source}\n{kind}\n{key}"
    digest = hashlib.blake2b(name.encode(), digest_size=4).digest()
    return _LOCK_NAMESPACE, int.from_bytes(digest, "big", signed=True)


@contextmanager
def _single_flight(key: str, source: str, kind: str = PoolKind.CONTACT) -> Iterator[None]:
    """Hold a PostgreSQL session advisory lock for (key, source, kind) while the pool is extended.

    A session lock (not a transaction lock) because no transaction may stay open during the
    provider's HTTP call. It is polled with pg_try_advisory_lock so a waiter gives up (retryably)
    rather than hang past the longest call it could be waiting for. SQLite runs a single worker,
    so it needs no lock.
    """
    if connection.vendor != "postgresql":
        yield
        return
    ids = _lock_ids(key, source, kind)
    deadline = time.monotonic() + float(settings.OPENAI_TIMEOUT_SECONDS) + _LOCK_SLACK_SECONDS
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", ids)
            (acquired,) = cursor.fetchone()
        if acquired:
            break
        if time.monotonic() >= deadline:
            raise PersonaError(
                "Another worker was still generating personas for this theme and industry.",
                retryable=True,
                code="lock_timeout",
            )
        time.sleep(_LOCK_POLL_SECONDS * (1 + random.random()))
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", ids)
        except DatabaseError:
            # A broken connection has ended its session, and with it the lock; don't hide the first error.
            logger.warning("Could not release the persona lock for %s (%s)", _key_label(key), source, exc_info=True)


# --- planned simulations: the persona of record `index`, the same on every replay --------------------


def record_seed(*, seed: int, index: int, attempt: int = 0, salt: str = "") -> int:
    """The offline seed of one record of a simulation (attempt > 0 after its email was taken).

    A salt ("company") gives another kind of record its own seed for the same index.
    """
    text = f"{seed}:{index}:{attempt}"
    digest = hashlib.blake2b((f"{salt}:{text}" if salt else text).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def pool_position(*, seed: int, index: int, block: int) -> int:
    """Where record `index` reads the shared pool: a seeded shuffle within blocks of `block` entries,
    so one simulation's records never share an entry and another seed reads the pool in another order."""
    start = index - index % block
    order = list(range(block))
    random.Random(record_seed(seed=seed, index=start, attempt=-1)).shuffle(order)
    return start + order[index % block]


# Of a company's people, this share work at its office, in its country; the others work remotely or
# for another office of a multinational, and stay where the persona put them. With the offline
# locales' weights, about 88% of a company's contacts then share its country.
AT_OFFICE_SHARE = 0.85


def persona_at_company(persona: dict[str, str], *, country: str, city: str, seed: int) -> dict[str, str]:
    """The persona as one of the people of a company in (city, country), drawn from one integer seed.

    AT_OFFICE_SHARE of them live in the company's country, mostly in its city, with a phone number
    of that country (their own when they were there already; see offline.office_details); the rest
    keep their own place.
    """
    from personas import offline

    if not country:
        return dict(persona)
    rng = random.Random(seed)
    there = offline.country_key(persona.get("country", "")) == offline.country_key(country)
    if rng.random() >= AT_OFFICE_SHARE:
        return {**persona, "country": country} if there else dict(persona)
    placed = offline.office_details(seed=rng.getrandbits(64), country=country, city=city)
    if there and persona.get("phone"):
        placed["phone"] = persona["phone"]
    return {**persona, **placed}


def persona_for_record(
    *, theme: str, industry: str, seed: int, index: int, attempt: int = 0, extend: bool = True
) -> TakenPersona | None:
    """The persona of record `index` of a planned simulation: a pure function of (seed, index) offline,
    and of (seed, index, the pool) with OpenAI, so a replay makes the same people.

    With extend=False (the batch path), an OpenAI pool too short for the record gives None instead of
    calling the provider.
    """
    source = persona_provider_name()
    if source == PersonaSource.OFFLINE:
        from personas import offline

        raw = offline.offline_persona(
            seed=record_seed(seed=seed, index=index, attempt=attempt),
            theme=tidy_text(theme),
            industry=tidy_text(industry),
        )
        cleaned, _ = clean_personas([raw])
        if not cleaned:
            raise PersonaError("The offline provider wrote an invalid persona.", retryable=True)
        return TakenPersona(data=cleaned[0], source=source, cached=False)
    # A pool's entries are distinct, and positions are too: no retry needs another entry (attempt unused).
    found = _pool_entry_for_record(
        PoolKind.CONTACT, source, theme=theme, industry=industry, seed=seed, index=index, extend=extend
    )
    return TakenPersona(data=found[0], source=source, cached=found[1], model=found[2]) if found is not None else None


def company_for_record(*, theme: str, industry: str, seed: int, index: int, attempt: int = 0) -> TakenCompany:
    """Company number `index` of a planned simulation: offline a pure function of (seed, index, attempt);
    with OpenAI a pure function of (seed, index, the pool): it reads a seeded position of the shared
    company pool (like persona_for_record) and extends the pool by one provider call of
    SIMCRM_PERSONA_POOL_SIZE companies when it is too short.

    The caller retries with attempt + 1 when the domain is already taken in its simulation. Raises
    PersonaError like persona_for_record. Call it outside a transaction.
    """
    source = persona_provider_name()
    if source == PersonaSource.OFFLINE:
        from personas import offline

        raw = offline.offline_company(
            seed=record_seed(seed=seed, index=index, attempt=attempt, salt=PoolKind.COMPANY),
            theme=tidy_text(theme),
            industry=tidy_text(industry),
        )
        cleaned, _ = clean_companies([raw])
        if not cleaned:
            raise PersonaError("The offline provider wrote an invalid company.", retryable=True)
        return TakenCompany(data=cleaned[0], source=source, cached=False)
    found = _pool_entry_for_record(
        PoolKind.COMPANY, source, theme=theme, industry=industry, seed=seed, index=index, extend=True
    )
    assert found is not None  # extend=True reads or grows the pool, or raises
    return TakenCompany(data=found[0], source=source, cached=found[1], model=found[2])


def _pool_entry_for_record(
    kind: str, source: str, *, theme: str, industry: str, seed: int, index: int, extend: bool
) -> tuple[dict[str, Any], bool, str | None] | None:
    """(the pool entry of record `index`, whether it was there without a provider call, the pool's model),
    growing the pool when `extend` allows, else None when the pool is too short."""
    key = persona_cache_key(theme=theme, industry=industry)
    position = pool_position(seed=seed, index=index, block=settings.SIMCRM_PERSONA_POOL_SIZE)
    pool = _pool_snapshot(key, source, kind)
    if len(pool) > position:
        # A hit, counted as it is read, like the original schedule's one-by-one takes.
        persona_pool_record_hits(pool_id=_snapshot_version(key, source, kind)[0], hits=1)
        return dict(pool[position]), True, _snapshot_model(key, source, kind)
    if not extend:
        return None
    while len(pool) <= position:
        grown = _pool_extend(key, source, theme=theme, industry=industry, longer_than=len(pool), kind=kind)
        if len(grown) <= len(pool):
            what = "people" if kind == PoolKind.CONTACT else "companies"
            raise PersonaError(
                f"The persona provider wrote no new {what} for this theme.",
                retryable=True,
                code="no_new_personas",
            )
        pool = grown
    model = CachedPersona.objects.filter(cache_key=key, source=source, kind=kind).values_list("model", flat=True)
    return dict(pool[position]), False, model.first() or None


_snapshots: OrderedDict[tuple[str, str, str], tuple[tuple[int, datetime, str], list[dict[str, Any]]]] = OrderedDict()
SNAPSHOTS_KEPT = 4


def _pool_snapshot(key: str, source: str, kind: str = PoolKind.CONTACT) -> list[dict[str, Any]]:
    """The pool as this process last read it, read again only when it changed (its updated_at moved).

    A planned simulation reads one entry per record; a pool of a planned run can hold as many
    personas as the run has records, too many to parse for each of them.
    """
    pools = CachedPersona.objects.filter(cache_key=key, source=source, kind=kind)
    version = pools.values_list("id", "updated_at", "model").first()
    if version is None:
        return []
    cached = _snapshots.get((key, source, kind))
    if cached is not None and cached[0] == version:
        _snapshots.move_to_end((key, source, kind))
        return cached[1]
    pool = _pool_entries(key, source, kind)
    _snapshots[(key, source, kind)] = (version, pool)
    while len(_snapshots) > SNAPSHOTS_KEPT:
        _snapshots.popitem(last=False)
    return pool


def _snapshot_model(key: str, source: str, kind: str) -> str | None:
    """The model of the pool _pool_snapshot read last (no query)."""
    snapshot = _snapshots.get((key, source, kind))
    return (snapshot[0][2] or None) if snapshot is not None else None


def _snapshot_version(key: str, source: str, kind: str) -> tuple[int, datetime, str]:
    """(id, updated_at, model) of the pool _pool_snapshot read last; call it only after a non-empty read."""
    return _snapshots[(key, source, kind)][0]


def personas_for_records(*, theme: str, industry: str, seed: int, indexes: list[int]) -> dict[int, TakenPersona]:
    """persona_for_record for many records of one simulation, reading the pool once; records whose
    OpenAI pool entry does not exist yet are left out (the caller sends them down the slow path).

    Counts no hit: the caller counts the ones it saves (their `pool_id`) with persona_pool_record_hits."""
    source = persona_provider_name()
    if source == PersonaSource.OFFLINE:
        found = {}
        for index in indexes:
            taken = persona_for_record(theme=theme, industry=industry, seed=seed, index=index)
            if taken is not None:
                found[index] = taken
        return found
    entries, model, pool_id = _pool_entries_for_records(
        PoolKind.CONTACT, source, theme=theme, industry=industry, seed=seed, indexes=indexes
    )
    return {
        index: TakenPersona(data=data, source=source, cached=True, model=model, pool_id=pool_id)
        for index, data in entries.items()
    }


def companies_for_records(*, theme: str, industry: str, seed: int, indexes: list[int]) -> dict[int, TakenCompany]:
    """company_for_record for many records of one simulation, reading the pool once and never calling a
    provider: records whose OpenAI pool entry does not exist yet are left out (offline: none is).
    Counts no hit, like personas_for_records."""
    source = persona_provider_name()
    if source == PersonaSource.OFFLINE:
        return {index: company_for_record(theme=theme, industry=industry, seed=seed, index=index) for index in indexes}
    entries, model, pool_id = _pool_entries_for_records(
        PoolKind.COMPANY, source, theme=theme, industry=industry, seed=seed, indexes=indexes
    )
    return {
        index: TakenCompany(data=data, source=source, cached=True, model=model, pool_id=pool_id)
        for index, data in entries.items()
    }


def _pool_entries_for_records(
    kind: str, source: str, *, theme: str, industry: str, seed: int, indexes: list[int]
) -> tuple[dict[int, dict[str, Any]], str | None, int | None]:
    """(the pool entries of these records that exist, the pool's model, the pool's id)."""
    key = persona_cache_key(theme=theme, industry=industry)
    pool = _pool_snapshot(key, source, kind)
    if not pool:
        return {}, None, None
    block = settings.SIMCRM_PERSONA_POOL_SIZE
    positions = {index: pool_position(seed=seed, index=index, block=block) for index in indexes}
    entries = {index: dict(pool[position]) for index, position in positions.items() if position < len(pool)}
    return entries, _snapshot_model(key, source, kind), _snapshot_version(key, source, kind)[0]


def _pool_extend(
    key: str, source: str, *, theme: str, industry: str, longer_than: int, kind: str = PoolKind.CONTACT
) -> list[dict[str, Any]]:
    """The pool, extended by one provider call unless another worker already made it longer."""
    with _single_flight(key, source, kind):
        pool = _pool_entries(key, source, kind)
        if len(pool) > longer_than:
            return pool
        if kind == PoolKind.COMPANY:
            avoid_names = [str(company.get("name", "")) for company in pool if isinstance(company, dict)]
        else:
            avoid_names = _avoid_names(pool, set())
        batch = _generate(
            source, key=key, theme=tidy_text(theme), industry=tidy_text(industry), avoid_names=avoid_names, kind=kind
        )
        return _pool_append(key, source, theme=theme, industry=industry, batch=batch)
