"""The persona cache: one pool of personas per normalised (theme, industry), provider and kind
(contacts or companies). A pool's entries are PersonaPoolEntry rows, numbered by position as they
were appended; a reader loads only the entries it needs.

A job takes one persona its simulation has not used yet. A pool that has none left for that
simulation is extended by one provider call; concurrent takes on one cold key share that call.
"""

import hashlib
import logging
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from personas.errors import PersonaError
from personas.models import (
    POOL_DATA_KEYS,
    CachedPersona,
    PersonaPoolEntry,
    PersonaPoolGeneration,
    PersonaSource,
    PoolKind,
)
from personas.validation import (
    TEMPLATE_PARTS,
    GeneratedBatch,
    GeneratedCompanies,
    GeneratedTexts,
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
    "persona_pool_extend",
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
        avoid_names = _avoid_names(_pool_id(key, source), used_names)
        batch = _generate(
            source, key=key, theme=tidy_text(theme), industry=tidy_text(industry), avoid_names=avoid_names
        )
        pool_id, _ = _pool_append(key, source, theme=theme, industry=industry, batch=batch)

    persona = _pick_unused(pool_id, used_emails, used_names)
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
    persona = _pick_unused(pool.pk, used_emails, used_names)
    if persona is None:
        return None
    return TakenPersona(data=persona, source=pool.source, cached=True, model=pool.model or None)


def persona_pools_purge(*, pool_ids: list[int]) -> int:
    """Delete these pools (of either kind) and their entries; the next job of their (theme, industry)
    generates a new pool.

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
    row = CachedPersona.objects.filter(cache_key=key, source=source, kind=PoolKind.CONTACT).only("id", "model").first()
    if row is None:
        return None
    persona = _pick_unused(row.pk, used_emails, used_names)
    if persona is None:
        return None
    CachedPersona.objects.filter(pk=row.pk).update(hits=F("hits") + 1)
    return TakenPersona(data=persona, source=source, cached=True, model=row.model or None)


def _pool_id(key: str, source: str, kind: str = PoolKind.CONTACT) -> int | None:
    return CachedPersona.objects.filter(cache_key=key, source=source, kind=kind).values_list("id", flat=True).first()


def _pick_unused(pool_id: int | None, used_emails: set[str], used_names: set[str]) -> dict[str, str] | None:
    """A random contact of the pool whose email and name are not used, reading only ids until it chose."""
    if pool_id is None:
        return None
    unused = (
        PersonaPoolEntry.objects.filter(pool_id=pool_id)
        .exclude(address_key="")
        .exclude(address_key__in=used_emails)
        .exclude(name_key__in=used_names)
    )
    # Random rather than first-unused, so concurrent jobs of one simulation rarely pick the same person.
    ids = list(unused.order_by("position").values_list("id", flat=True))
    if not ids:
        return None
    data = PersonaPoolEntry.objects.filter(pk=random.choice(ids)).values_list("data", flat=True).first()
    return dict(data) if isinstance(data, dict) else None


def _written_names(pool_id: int | None, kind: str) -> list[str]:
    """The names of the pool's last entries as written, oldest first: as many as the prompt sends."""
    from personas.agent import MAX_AVOID_NAMES_SENT

    if pool_id is None:
        return []
    last = PersonaPoolEntry.objects.filter(pool_id=pool_id).order_by("-position")[:MAX_AVOID_NAMES_SENT]
    names: list[str] = []
    for entry in reversed(list(last.values_list("data", flat=True))):
        if not isinstance(entry, dict):
            continue
        if kind == PoolKind.COMPANY:
            names.append(str(entry.get("name", "")))
        elif written := " ".join(f"{entry.get('firstname', '')} {entry.get('lastname', '')}".split()):
            names.append(written)
    return names


def _avoid_names(pool_id: int | None, used_names: set[str]) -> list[str]:
    """The pool's names (as written; the last of them, as many as the prompt sends), then the simulation's
    other used names."""
    in_pool: set[str] = set()
    if pool_id is not None and used_names:
        entries = PersonaPoolEntry.objects.filter(pool_id=pool_id, name_key__in=used_names)
        in_pool = set(entries.values_list("name_key", flat=True))
    return _written_names(pool_id, PoolKind.CONTACT) + sorted(used_names - in_pool)


def _pool_append(
    key: str, source: str, *, theme: str, industry: str, batch: GeneratedBatch | GeneratedCompanies
) -> tuple[int, int]:
    """Append a batch to its pool (creating it if needed) in one short transaction; return (pool id, new size)."""
    kind = PoolKind.COMPANY if isinstance(batch, GeneratedCompanies) else PoolKind.CONTACT
    with transaction.atomic():
        row = _pool_locked(key, source, kind, theme=theme, industry=industry)
        written, new = _new_entries(batch, row.pk)
        size = _pool_grown(row, new, batch)
    logger.info(
        "Persona pool %s (%s%s) grew by %d to %d (%d of the batch were duplicates)",
        _key_label(key),
        source,
        "" if kind == PoolKind.CONTACT else f", {kind}",
        len(new),
        size,
        written - len(new),
    )
    return row.pk, size


def _pool_locked(key: str, source: str, kind: str, *, theme: str, industry: str) -> CachedPersona:
    """The pool's row, made when missing, locked until the transaction ends."""
    row, _ = CachedPersona.objects.select_for_update().get_or_create(
        cache_key=key,
        source=source,
        kind=kind,
        defaults={
            "theme": tidy_text(theme)[:255],
            "industry": tidy_text(industry)[:255],
            "persona_data": {POOL_DATA_KEYS[kind]: []},
        },
    )
    return row


def _pool_grown(
    row: CachedPersona, entries: list[dict[str, Any]], call: GeneratedBatch | GeneratedCompanies | GeneratedTexts
) -> int:
    """Append what one provider call wrote to its locked pool, and count the call and its tokens; the new size."""
    size = _entries_insert(row, entries)
    # The model that grew the pool last names it: a pool is almost always written by one model.
    named = {"model": call.model} if call.model else {}
    CachedPersona.objects.filter(pk=row.pk).update(
        **named,
        size=size,
        misses=F("misses") + 1,
        generation_calls=F("generation_calls") + 1,
        prompt_tokens=F("prompt_tokens") + call.prompt_tokens,
        completion_tokens=F("completion_tokens") + call.completion_tokens,
        updated_at=timezone.now(),
    )
    return size


def persona_pool_extend(*, pool: CachedPersona, entries: Iterable[dict[str, Any]]) -> int:
    """Append entries (already clean and distinct) to a pool at its next positions; return its new size.

    For a pool filled from elsewhere than a provider (a bench, a fixture): locks the pool row."""
    with transaction.atomic():
        row = CachedPersona.objects.select_for_update().get(pk=pool.pk)
        size = _entries_insert(row, list(entries))
        CachedPersona.objects.filter(pk=row.pk).update(size=size, updated_at=timezone.now())
    return size


def _entries_insert(pool: CachedPersona, entries: list[dict[str, Any]]) -> int:
    """Insert entries after the pool's last position; the caller holds the pool row locked and saves the size."""
    PersonaPoolEntry.objects.bulk_create(
        (
            PersonaPoolEntry(pool=pool, position=pool.size + offset, data=entry, **_entry_keys(pool.kind, entry))
            for offset, entry in enumerate(entries)
        ),
        batch_size=1000,
    )
    return pool.size + len(entries)


def _entry_keys(kind: str, entry: dict[str, Any]) -> dict[str, str]:
    """The keys a pool's entries are kept distinct by, in the form the clean_* avoid lists compare."""
    if kind == PoolKind.TEXTS:
        return {"name_key": str(entry["moment"]), "address_key": ""}
    if kind == PoolKind.COMPANY:
        return {"name_key": company_name_key(entry), "address_key": str(entry.get("domain", "")).strip().lower()}
    return {"name_key": persona_name_key(entry), "address_key": persona_email_key(entry)}


def _new_entries(batch: GeneratedBatch | GeneratedCompanies, pool_id: int) -> tuple[int, list[dict[str, Any]]]:
    """(how many the batch wrote, those of them that are valid and not in the pool yet).

    Reads only the pool's entries that share a name or an address with the batch."""
    kind = PoolKind.COMPANY if isinstance(batch, GeneratedCompanies) else PoolKind.CONTACT
    raw = batch.companies if isinstance(batch, GeneratedCompanies) else batch.personas
    cleaned = clean_companies(raw)[0] if kind == PoolKind.COMPANY else clean_personas(raw)[0]
    keys = [_entry_keys(kind, entry) for entry in cleaned]
    names = {k["name_key"] for k in keys}
    addresses = {k["address_key"] for k in keys}
    clashes = PersonaPoolEntry.objects.filter(pool_id=pool_id).filter(
        Q(name_key__in=names) | Q(address_key__in=addresses)
    )
    taken = list(clashes.values_list("name_key", "address_key"))
    avoid_names = [name for name, _ in taken]
    avoid_addresses = [address for _, address in taken]
    if kind == PoolKind.COMPANY:
        return len(raw), clean_companies(cleaned, avoid_names=avoid_names, avoid_domains=avoid_addresses)[0]
    return len(raw), clean_personas(cleaned, avoid_names=avoid_names, avoid_emails=avoid_addresses)[0]


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


# --- activity texts: a model's templates, one pool entry per moment of the funnel's story ------------


def activity_texts_cached(*, theme: str, industry: str, moment: str) -> dict[str, list[str]] | None:
    """The templates a model wrote for this moment of the theme and industry's activities, or None when it
    has not written them yet."""
    key = persona_cache_key(theme=theme, industry=industry)
    data = (
        PersonaPoolEntry.objects.filter(
            pool__cache_key=key, pool__source=PersonaSource.OPENAI, pool__kind=PoolKind.TEXTS, name_key=moment
        )
        .values_list("data", flat=True)
        .first()
    )
    return {part: list(data.get(part) or []) for part in TEMPLATE_PARTS} if isinstance(data, dict) else None


def activity_texts_write(
    *, theme: str, industry: str, activity: str, moment: str, brief: str, slots: frozenset[str]
) -> dict[str, list[str]]:
    """The templates of this moment, written by the model once per theme and industry (one worker at a time,
    like a persona pool) and kept in the theme's text pool; may take a model call of seconds, so never call it
    inside a transaction."""
    cached = activity_texts_cached(theme=theme, industry=industry, moment=moment)
    if cached is not None:
        return cached
    key = persona_cache_key(theme=theme, industry=industry)
    with _single_flight(key, PersonaSource.OPENAI, PoolKind.TEXTS):
        cached = activity_texts_cached(theme=theme, industry=industry, moment=moment)
        if cached is not None:
            return cached
        from personas import agent

        written = agent.generate_activity_texts(
            theme=theme, industry=industry, activity=activity, moment=brief, slots=slots
        )
        with transaction.atomic():
            row = _pool_locked(key, PersonaSource.OPENAI, PoolKind.TEXTS, theme=theme, industry=industry)
            _pool_grown(row, [{"moment": moment, **written.templates}], written)
    return written.templates


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
    found = _entries_at(key, source, kind, [position])
    if found:
        # A hit, counted as it is read, like the original schedule's one-by-one takes.
        data, pool_id, model = found[position]
        persona_pool_record_hits(pool_id=pool_id, hits=1)
        return data, True, model
    if not extend:
        return None
    pools = CachedPersona.objects.filter(cache_key=key, source=source, kind=kind)
    size = pools.values_list("size", flat=True).first() or 0
    while size <= position:
        grown = _pool_extend(key, source, theme=theme, industry=industry, longer_than=size, kind=kind)
        if grown <= size:
            what = "people" if kind == PoolKind.CONTACT else "companies"
            raise PersonaError(
                f"The persona provider wrote no new {what} for this theme.",
                retryable=True,
                code="no_new_personas",
            )
        size = grown
    data, _, model = _entries_at(key, source, kind, [position])[position]
    return data, False, model


def _entries_at(
    key: str, source: str, kind: str, positions: Iterable[int]
) -> dict[int, tuple[dict[str, Any], int, str | None]]:
    """{position: (entry, pool id, pool's model)} for the positions the pool holds, in one query."""
    rows = PersonaPoolEntry.objects.filter(
        pool__cache_key=key, pool__source=source, pool__kind=kind, position__in=set(positions)
    ).values_list("position", "data", "pool_id", "pool__model")
    return {position: (dict(data), pool_id, model or None) for position, data, pool_id, model in rows}


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
    """(the pool entries of these records that exist, the pool's model, the pool's id): reads only those entries."""
    key = persona_cache_key(theme=theme, industry=industry)
    block = settings.SIMCRM_PERSONA_POOL_SIZE
    positions = {index: pool_position(seed=seed, index=index, block=block) for index in indexes}
    found = _entries_at(key, source, kind, positions.values())
    if not found:
        return {}, None, None
    entries = {index: found[position][0] for index, position in positions.items() if position in found}
    _, pool_id, model = next(iter(found.values()))
    return entries, model, pool_id


def _pool_extend(
    key: str, source: str, *, theme: str, industry: str, longer_than: int, kind: str = PoolKind.CONTACT
) -> int:
    """The pool's size, after one provider call extended it unless another worker already made it longer."""
    with _single_flight(key, source, kind):
        pool = CachedPersona.objects.filter(cache_key=key, source=source, kind=kind).values_list("id", "size").first()
        if pool is not None and pool[1] > longer_than:
            return pool[1]
        avoid_names = _written_names(pool[0] if pool is not None else None, kind)
        batch = _generate(
            source, key=key, theme=tidy_text(theme), industry=tidy_text(industry), avoid_names=avoid_names, kind=kind
        )
        return _pool_append(key, source, theme=theme, industry=industry, batch=batch)[1]
