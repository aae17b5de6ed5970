"""The offline persona provider: believable contacts from Faker and the tables in personas/data, no network.

`offline_persona` makes one person from one integer seed; `generate_personas` (same signature as
`personas.agent.generate_personas`, plus `generation`) makes a batch, each person from a seed derived
from the batch's inputs; `offline_company` makes one company from one integer seed. Job titles come
from per-industry title ladders (personas/data/industries), names, cities and phones from one country
(personas/data/locales.toml). The theme only ever lends a brandable word to some company names
(personas/data/flavours.toml); it never appears in a title.
"""

import hashlib
import math
import random
import re
import string
import threading
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

from faker import Faker

from personas.validation import GeneratedBatch, clean_personas, name_key

__all__ = [
    "SENIORITY_MARKERS",
    "Department",
    "IndustryTable",
    "OfflineDataError",
    "country_key",
    "fallback_table",
    "generate_personas",
    "industry_table",
    "industry_tables",
    "load_industry_table",
    "office_details",
    "offline_company",
    "offline_persona",
    "persona_seed",
    "seniority_markers_in",
    "table_titles",
    "theme_flavours",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
# Contact properties the offline provider adds to the six every provider writes.
_MAX_TRIES_PER_PERSONA = 200
# After this many tries per persona the common names are used up: double-barrelled surnames are plenty.
_BARREL_AFTER_TRIES_PER_PERSONA = 20
_WORD = re.compile(r"[^\W\d_]+")
_PHONE_TOKEN = re.compile(r"\{area\}|\[[0-9-]+\]|#")

_T = TypeVar("_T")


class OfflineDataError(ValueError):
    """The tables in personas/data are malformed."""


@dataclass(frozen=True)
class Department:
    name: str
    weight: float
    heads: tuple[str, ...]  # head forms from common.toml, e.g. "head" -> "Head of {department}"
    roles: tuple[tuple[str, str], ...]  # (role title, ladder name)


@dataclass(frozen=True)
class IndustryTable:
    name: str  # the file's stem; "general" is the fallback
    label: str  # the industry as offline companies name it ("Food & Beverage")
    aliases: tuple[str, ...]
    company_words: tuple[str, ...]
    brands: tuple[str, ...]
    tlds: tuple[str, ...]
    departments: tuple[Department, ...]


@dataclass(frozen=True)
class _Locale:
    locale: str
    country: str
    calling_code: str
    weight: float
    tld: str
    phones: tuple[str, ...]
    legal_suffixes: tuple[str, ...]
    legal_share: float
    cities: tuple[tuple[str, tuple[str, ...]], ...]  # (city, its area codes); empty: Faker's cities
    transliterate: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Common:
    seniority_markers: tuple[str, ...]
    general_share: float
    head_share: float
    flavour_share: float
    local_tld_share: float
    industry_tld_share: float
    company_general_word_share: float
    company_hyphen_share: float
    head_forms: tuple[tuple[str, str], ...]
    ladders: tuple[tuple[str, tuple[str, ...]], ...]
    level_weights: tuple[tuple[str, float], ...]
    company_forms: tuple[tuple[str, float], ...]
    email_forms: tuple[tuple[str, float], ...]
    brands: tuple[str, ...]
    company_record_forms: tuple[tuple[str, float], ...]
    coined_heads: tuple[str, ...]
    coined_tails: tuple[str, ...]
    company_sizes: tuple[tuple[tuple[int, int], float], ...]  # ((fewest, most employees), weight)


# --- loading the data -----------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OfflineDataError(f"{path}: {exc}") from exc


def _typed(value: Any, kind: type[_T], where: str) -> _T:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise OfflineDataError(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def _strings(value: Any, where: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    items = tuple(_typed(item, str, where) for item in _typed(value, list, where))
    if not items and not allow_empty:
        raise OfflineDataError(f"{where}: must not be empty")
    return items


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OfflineDataError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _weights(value: Any, where: str) -> tuple[tuple[str, float], ...]:
    table = _typed(value, dict, where)
    pairs = tuple((str(key), _number(weight, f"{where}.{key}")) for key, weight in table.items())
    if not pairs or any(weight < 0 for _, weight in pairs) or not sum(weight for _, weight in pairs):
        raise OfflineDataError(f"{where}: needs at least one positive weight")
    return pairs


def _share(value: Any, where: str) -> float:
    share = _number(value, where)
    if not 0 <= share <= 1:
        raise OfflineDataError(f"{where}: must be between 0 and 1")
    return share


@cache
def _common() -> _Common:
    path = DATA_DIR / "common.toml"
    data = _read_toml(path)
    where = str(path)
    coined = _typed(data.get("coined"), dict, f"{where} coined")
    ladders = tuple(
        (str(name), _strings(levels, f"{where} ladders.{name}", allow_empty=False))
        for name, levels in _typed(data.get("ladders"), dict, f"{where} ladders").items()
    )
    return _Common(
        seniority_markers=_strings(data.get("seniority_markers"), f"{where} seniority_markers", allow_empty=False),
        general_share=_share(data.get("general_share"), f"{where} general_share"),
        head_share=_share(data.get("head_share"), f"{where} head_share"),
        flavour_share=_share(data.get("flavour_share"), f"{where} flavour_share"),
        local_tld_share=_share(data.get("local_tld_share"), f"{where} local_tld_share"),
        industry_tld_share=_share(data.get("industry_tld_share"), f"{where} industry_tld_share"),
        company_general_word_share=_share(
            data.get("company_general_word_share"), f"{where} company_general_word_share"
        ),
        company_hyphen_share=_share(data.get("company_hyphen_share"), f"{where} company_hyphen_share"),
        head_forms=tuple(
            (str(key), _typed(form, str, f"{where} head_forms.{key}"))
            for key, form in _typed(data.get("head_forms"), dict, f"{where} head_forms").items()
        ),
        ladders=ladders,
        level_weights=_weights(data.get("level_weights"), f"{where} level_weights"),
        company_forms=_weights(data.get("company_forms"), f"{where} company_forms"),
        email_forms=_weights(data.get("email_forms"), f"{where} email_forms"),
        brands=_strings(_typed(data.get("brands"), dict, f"{where} brands").get("words"), f"{where} brands.words"),
        company_record_forms=_weights(data.get("company_record_forms"), f"{where} company_record_forms"),
        coined_heads=_strings(coined.get("heads"), f"{where} coined.heads", allow_empty=False),
        coined_tails=_strings(coined.get("tails"), f"{where} coined.tails", allow_empty=False),
        company_sizes=tuple(
            (_size_band(band, f"{where} company_sizes.{band}"), weight)
            for band, weight in _weights(data.get("company_sizes"), f"{where} company_sizes")
        ),
    )


def _size_band(band: str, where: str) -> tuple[int, int]:
    low, _, high = band.partition("-")
    if not (low.isdigit() and high.isdigit() and 1 <= int(low) <= int(high)):
        raise OfflineDataError(f'{where}: expected a band like "11-50"')
    return int(low), int(high)


def _marker_pattern(markers: Sequence[str]) -> re.Pattern[str]:
    # Longest first, so "Head of" is one marker rather than "Head" and a stray "of".
    alternatives = "|".join(re.escape(marker) for marker in sorted(markers, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


SENIORITY_MARKERS: tuple[str, ...] = _common().seniority_markers
_MARKERS = _marker_pattern(SENIORITY_MARKERS)


def seniority_markers_in(title: str) -> list[str]:
    """The seniority markers (SENIORITY_MARKERS) a title carries, in order; a good title has at most one."""
    return _MARKERS.findall(title)


def load_industry_table(path: Path) -> IndustryTable:
    """Read and check one industry table; raises OfflineDataError if it is malformed or stacks seniority."""
    data = _read_toml(path)
    where = str(path)
    common = _common()
    ladders = dict(common.ladders)
    head_forms = dict(common.head_forms)
    departments = []
    for number, raw in enumerate(_typed(data.get("departments"), list, f"{where} departments")):
        dept_where = f"{where} departments[{number}]"
        raw = _typed(raw, dict, dept_where)
        heads = _strings(raw.get("heads", []), f"{dept_where}.heads")
        roles = tuple(
            (str(role), _typed(ladder, str, f"{dept_where}.roles.{role}"))
            for role, ladder in _typed(raw.get("roles", {}), dict, f"{dept_where}.roles").items()
        )
        unknown = [head for head in heads if head not in head_forms] + [
            ladder for _, ladder in roles if ladder not in ladders
        ]
        if unknown:
            raise OfflineDataError(f"{dept_where}: unknown head forms or ladders {unknown}")
        if not heads and not roles:
            raise OfflineDataError(f"{dept_where}: has neither heads nor roles")
        weight = _number(raw.get("weight", 1), f"{dept_where}.weight")
        if weight <= 0:
            raise OfflineDataError(f"{dept_where}.weight: must be positive")
        departments.append(
            Department(name=_typed(raw.get("name"), str, f"{dept_where}.name"), weight=weight, heads=heads, roles=roles)
        )
    table = IndustryTable(
        name=path.stem,
        label=_typed(data.get("label", path.stem.replace("_", " ").title()), str, f"{where} label"),
        aliases=tuple(alias.casefold() for alias in _strings(data.get("aliases", []), f"{where} aliases")),
        company_words=_strings(data.get("company_words"), f"{where} company_words", allow_empty=False),
        brands=_strings(data.get("brands", []), f"{where} brands"),
        tlds=_strings(data.get("tlds", []), f"{where} tlds"),
        departments=tuple(departments),
    )
    if not table.departments:
        raise OfflineDataError(f"{where}: has no departments")
    stacked = sorted(title for title in table_titles(table) if len(seniority_markers_in(title)) > 1)
    if stacked:
        raise OfflineDataError(f"{where}: titles with more than one seniority marker: {stacked}")
    return table


@cache
def fallback_table() -> IndustryTable:
    """The table for industries no other table's aliases match (personas/data/industries/general.toml)."""
    return load_industry_table(DATA_DIR / "industries" / "general.toml")


@cache
def industry_tables() -> tuple[IndustryTable, ...]:
    """Every industry table but the fallback, in file-name order."""
    paths = sorted((DATA_DIR / "industries").glob("*.toml"))
    return tuple(load_industry_table(path) for path in paths if path.stem != "general")


@cache
def _alias_patterns() -> tuple[tuple[IndustryTable, tuple[tuple[str, re.Pattern[str]], ...]], ...]:
    return tuple(
        (
            table,
            tuple(
                (alias, re.compile(rf"(?<![a-z0-9]){re.escape(_ascii(alias))}(?:s|es)?(?![a-z0-9])"))
                for alias in table.aliases
            ),
        )
        for table in industry_tables()
    )


@lru_cache(maxsize=1024)
def industry_table(industry: str) -> IndustryTable:
    """The table for a typed industry: the one with the longest alias in it (whole words), else the fallback."""
    text = _ascii(" ".join(industry.split()).casefold())
    best, best_length = fallback_table(), 0
    for table, patterns in _alias_patterns():
        for alias, pattern in patterns:
            if len(alias) > best_length and pattern.search(text):
                best, best_length = table, len(alias)
    return best


@cache
def _weighted_titles(table: IndustryTable) -> tuple[tuple[str, float], ...]:
    common = _common()
    ladders = dict(common.ladders)
    head_forms = dict(common.head_forms)
    level_weights = dict(common.level_weights)
    total = sum(department.weight for department in table.departments)
    weights: dict[str, float] = {}
    for department in table.departments:
        share = department.weight / total
        head_part = (common.head_share if department.roles else 1.0) if department.heads else 0.0
        for head in department.heads:
            title = head_forms[head].format(department=department.name)
            weights[title] = weights.get(title, 0.0) + share * head_part / len(department.heads)
        for role, ladder in department.roles:
            levels = ladders[ladder]
            level_total = sum(level_weights.get(level, 1.0) for level in levels)
            for level in levels:
                title = f"{level} {role}".strip()
                role_share = share * (1 - head_part) / len(department.roles)
                weights[title] = weights.get(title, 0.0) + role_share * level_weights.get(level, 1.0) / level_total
    return tuple(weights.items())


def table_titles(table: IndustryTable) -> frozenset[str]:
    """Every job title a table can produce."""
    return frozenset(title for title, _ in _weighted_titles(table))


@cache
def _locales() -> tuple[_Locale, ...]:
    path = DATA_DIR / "locales.toml"
    locales = []
    for number, raw in enumerate(_typed(_read_toml(path).get("locales"), list, f"{path} locales")):
        where = f"{path} locales[{number}]"
        raw = _typed(raw, dict, where)
        locale = _Locale(
            locale=_typed(raw.get("locale"), str, f"{where}.locale"),
            country=_typed(raw.get("country"), str, f"{where}.country"),
            calling_code=_typed(raw.get("calling_code"), str, f"{where}.calling_code"),
            weight=_number(raw.get("weight"), f"{where}.weight"),
            tld=_typed(raw.get("tld"), str, f"{where}.tld"),
            phones=_strings(raw.get("phones"), f"{where}.phones", allow_empty=False),
            legal_suffixes=_strings(raw.get("legal_suffixes", []), f"{where}.legal_suffixes"),
            legal_share=_share(raw.get("legal_share", 0), f"{where}.legal_share"),
            cities=tuple(
                (str(city), _strings(codes, f"{where}.cities.{city}"))
                for city, codes in _typed(raw.get("cities", {}), dict, f"{where}.cities").items()
            ),
            transliterate=tuple(
                (str(letter), _typed(ascii_form, str, f"{where}.transliterate.{letter}"))
                for letter, ascii_form in _typed(raw.get("transliterate", {}), dict, f"{where}.transliterate").items()
            ),
        )
        bad_phones = [phone for phone in locale.phones if not phone.startswith(f"+{locale.calling_code} ")]
        needs_area = any("{area}" in phone for phone in locale.phones)
        if bad_phones or (needs_area and not all(codes for _, codes in locale.cities)) or locale.weight <= 0:
            raise OfflineDataError(f"{where}: phones must start '+<calling_code> ', and {{area}} needs area codes")
        locales.append(locale)
    if not locales:
        raise OfflineDataError(f"{path}: has no locales")
    return tuple(locales)


@cache
def _flavours() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    path = DATA_DIR / "flavours.toml"
    flavours = []
    for number, raw in enumerate(_typed(_read_toml(path).get("flavours"), list, f"{path} flavours")):
        where = f"{path} flavours[{number}]"
        raw = _typed(raw, dict, where)
        keywords = tuple(word.casefold() for word in _strings(raw.get("keywords"), f"{where}.keywords"))
        flavours.append((keywords, _strings(raw.get("words"), f"{where}.words", allow_empty=False)))
    return tuple(flavours)


# --- text helpers ---------------------------------------------------------------------------------------

# Letters NFKD does not decompose into ASCII.
_TRANSLITERATE = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ð": "d", "\u0131": "i"}


def _ascii(text: str, extra: Mapping[str, str] | None = None) -> str:
    for letter, ascii_form in {**(extra or {}), **_TRANSLITERATE}.items():
        text = text.replace(letter, ascii_form)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _alnum(text: str, extra: Mapping[str, str] | None = None) -> str:
    return re.sub(r"[^a-z0-9]+", "", _ascii(text.lower(), extra))


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.casefold()))


def _theme_words(theme: str) -> frozenset[str]:
    return frozenset(word for word in _words(theme) if len(word) >= 3)


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


@lru_cache(maxsize=512)
def theme_flavours(theme: str) -> tuple[str, ...]:
    """Brandable words the theme suggests for company names (flavours.toml), minus any word of the theme itself."""
    words = _theme_words(theme)
    found: list[str] = []
    for keywords, flavour_words in _flavours():
        if any({word, word.removesuffix("s"), word.removesuffix("es")} & set(keywords) for word in words):
            found.extend(w for w in flavour_words if w not in found and not _words(w) & words)
    return tuple(found)


@lru_cache(maxsize=512)
def _title_choices(table: IndustryTable, theme_words: frozenset[str]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    weighted = [(title, weight) for title, weight in _weighted_titles(table) if not _words(title) & theme_words]
    return tuple(title for title, _ in weighted), tuple(weight for _, weight in weighted)


def _pick_weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([item for item, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _digit_range(span: re.Match[str]) -> str:
    return "".join(str(digit) for digit in range(int(span[1]), int(span[2]) + 1))


def _phone(rng: random.Random, pattern: str, area_codes: Sequence[str]) -> str:
    def fill(match: re.Match[str]) -> str:
        part = match.group()
        if part == "#":
            return str(rng.randrange(10))
        if part == "{area}":
            return rng.choice(area_codes)
        return rng.choice(re.sub(r"(\d)-(\d)", _digit_range, part[1:-1]))

    return _PHONE_TOKEN.sub(fill, pattern)


_fakers = threading.local()


def _faker(locale: str) -> Faker:
    # Building a Faker costs milliseconds, so each thread keeps one per locale and reseeds it per persona.
    cached: dict[str, Faker] = getattr(_fakers, "by_locale", None) or {}
    _fakers.by_locale = cached
    if locale not in cached:
        cached[locale] = Faker(locale)
    return cached[locale]


# --- personas -------------------------------------------------------------------------------------------


def _persona(seed: int, theme: str, industry: str, *, barrelled: bool = False) -> dict[str, str]:
    # The theme only filters lists and, with a flavour keyword, picks a flavour word: so a theme with
    # no flavour keyword and no word in any title or company word yields the person an empty theme would.
    common = _common()
    rng = random.Random(seed)
    locales = _locales()
    locale = rng.choices(locales, weights=[entry.weight for entry in locales])[0]
    fake = _faker(locale.locale)
    fake.seed_instance(rng.getrandbits(64))
    transliterate = dict(locale.transliterate)

    firstname, lastname = str(fake.first_name()), str(fake.last_name())
    if barrelled:
        lastname = f"{lastname}-{fake.last_name()}"
    if locale.cities:
        city, area_codes = rng.choice(locale.cities)
    else:
        city, area_codes = str(fake.city()), ()
    phone = _phone(rng, rng.choice(locale.phones), area_codes)

    theme_words = _theme_words(theme)
    table = industry_table(industry)
    fallback = fallback_table()
    in_general = rng.random() < common.general_share
    title_tables = [fallback, table] if in_general else [table, fallback]
    for candidate in title_tables:
        titles, weights = _title_choices(candidate, theme_words)
        if titles:
            break
    else:  # every title names a theme word: better such a title than none
        titles, weights = _title_choices(table, frozenset())
    jobtitle = rng.choices(titles, weights=weights)[0]

    word = rng.choice(_without_theme(table.company_words, theme_words))
    brand = rng.choice(_without_theme(table.brands + common.brands, theme_words))
    form = _pick_weighted(rng, common.company_forms)
    flavours = theme_flavours(theme)
    if rng.random() < common.flavour_share and flavours:
        brand, form = rng.choice(flavours), "{brand} {word}"
    last, last2 = str(fake.last_name()), str(fake.last_name())
    core = form.format(last=last[:1].upper() + last[1:], last2=last2, brand=brand, word=word)
    legal = rng.choice(locale.legal_suffixes) if locale.legal_suffixes and rng.random() < locale.legal_share else ""
    company = f"{core} {legal}".strip()

    domain = f"{(_alnum(core, transliterate) or 'company')[:63]}.{_tld(rng, locale, table)}"
    first, surname = _alnum(firstname, transliterate), _alnum(lastname, transliterate)
    local = _pick_weighted(rng, common.email_forms).format(first=first, last=surname, f=first[:1], l=surname[:1])
    local = local.strip("._") or first or surname or "contact"

    return {
        "firstname": firstname,
        "lastname": lastname,
        "email": f"{local}@{domain}",
        "jobtitle": jobtitle,
        "company": company,
        "industry": " ".join(industry.split()) or "General",
        "phone": phone,
        "city": city,
        "country": locale.country,
    }


def _without_theme(words: Sequence[str], theme_words: frozenset[str]) -> Sequence[str]:
    return [word for word in words if not _words(word) & theme_words] or words


def _tld(rng: random.Random, locale: _Locale, table: IndustryTable) -> str:
    """The country's TLD or .com, now and then one of the industry's own (.io)."""
    common = _common()
    tld = locale.tld if rng.random() < common.local_tld_share else "com"
    if rng.random() < common.industry_tld_share and table.tlds:
        tld = rng.choice(table.tlds)
    return tld


def offline_persona(*, seed: int, theme: str, industry: str) -> dict[str, str]:
    """One contact from one integer seed: the same arguments give the same contact, byte for byte.

    Keys: firstname, lastname, email, jobtitle, company, industry, phone, city, country.
    """
    return _persona(seed, theme, industry)


def persona_seed(*, theme: str, industry: str, generation: int, avoided: int, index: int) -> int:
    """The seed of the `index`-th candidate of a batch (`avoided`: how many names the batch must avoid)."""
    text = f"{_normalised(theme)}\n{_normalised(industry)}\n{generation}\n{avoided}\n{index}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def generate_personas(
    *, theme: str, industry: str, count: int, avoid_names: list[str], generation: int = 0
) -> GeneratedBatch:
    """Write `count` personas locally, none named like `avoid_names`, emails unique in the batch.

    `generation` is the pool's generation: a purged pool's next batch holds different people.
    """
    taken = {" ".join(name.split()).casefold() for name in avoid_names}
    emails: set[str] = set()
    personas: list[dict[str, str]] = []

    index = 0
    while len(personas) < count and index < count * _MAX_TRIES_PER_PERSONA:
        seed = persona_seed(
            theme=theme, industry=industry, generation=generation, avoided=len(avoid_names), index=index
        )
        index += 1
        persona = _persona(seed, theme, industry, barrelled=index > count * _BARREL_AFTER_TRIES_PER_PERSONA)
        key = name_key(persona["firstname"], persona["lastname"])
        if key in taken:
            continue
        local, domain = persona["email"].split("@")
        email, suffix = persona["email"], 2
        while email in emails:
            email, suffix = f"{local}{suffix}@{domain}", suffix + 1
        persona["email"] = email
        taken.add(key)
        emails.add(email)
        personas.append(persona)

    cleaned, _ = clean_personas(personas, avoid_names=avoid_names)
    return GeneratedBatch(personas=cleaned, prompt_tokens=0, completion_tokens=0)


# --- where a company's people are ----------------------------------------------------------------------

# Of the people of an office, this share live in its city; the others commute from elsewhere in the country.
OFFICE_CITY_SHARE = 0.7
# Other ways a provider writes the countries of locales.toml.
_COUNTRY_ALIASES = {
    "usa": "united states",
    "us": "united states",
    "u.s.": "united states",
    "u.s.a.": "united states",
    "united states of america": "united states",
    "america": "united states",
    "uk": "united kingdom",
    "u.k.": "united kingdom",
    "great britain": "united kingdom",
    "britain": "united kingdom",
    "england": "united kingdom",
    "scotland": "united kingdom",
    "wales": "united kingdom",
    "the netherlands": "netherlands",
    "holland": "netherlands",
    "deutschland": "germany",
    "espana": "spain",
    "españa": "spain",
    "italia": "italy",
}


def country_key(country: str) -> str:
    """The form two country names are compared in: "USA" and "United States" are one country."""
    folded = _normalised(country)
    return _COUNTRY_ALIASES.get(folded, folded)


def office_details(*, seed: int, country: str, city: str) -> dict[str, str]:
    """Where someone working at an office in (city, country) lives and is reached, from one integer seed.

    Keys: city (mostly the office's, else another of the country's), country (the office's, as
    written) and phone (in the country's format). For a country locales.toml does not know, the
    office's city and no phone: better none than one of another country.
    """
    rng = random.Random(seed)
    locale = next((entry for entry in _locales() if country_key(entry.country) == country_key(country)), None)
    if locale is None:
        return {"city": city, "country": country, "phone": ""}
    known = dict(locale.cities)
    home = city
    if locale.cities and (city not in known or rng.random() >= OFFICE_CITY_SHARE):
        home = rng.choice(locale.cities)[0]
    # A city the table does not know has no area code of its own: the number is from elsewhere in the country.
    area_codes = (known.get(home) or rng.choice(locale.cities)[1]) if locale.cities else ()
    return {"city": home, "country": country, "phone": _phone(rng, rng.choice(locale.phones), area_codes)}


# --- companies ------------------------------------------------------------------------------------------


def offline_company(*, seed: int, theme: str, industry: str) -> dict[str, Any]:
    """One company from one integer seed: the same arguments give the same company, byte for byte.

    Keys: name, domain (derived from the name), industry, city, country, employees (an int >= 1).
    """
    common = _common()
    rng = random.Random(seed)
    locales = _locales()
    locale = rng.choices(locales, weights=[entry.weight for entry in locales])[0]
    fake = _faker(locale.locale)
    fake.seed_instance(rng.getrandbits(64))
    city = rng.choice(locale.cities)[0] if locale.cities else str(fake.city())

    theme_words = _theme_words(theme)
    table = industry_table(industry)
    words = fallback_table().company_words if rng.random() < common.company_general_word_share else table.company_words
    word = rng.choice(_without_theme(words, theme_words))
    brand = rng.choice(_without_theme(table.brands + common.brands, theme_words))
    form = _pick_weighted(rng, common.company_record_forms)
    head = rng.choice(common.coined_heads)
    flavours = theme_flavours(theme)
    if rng.random() < common.flavour_share and flavours:
        head = rng.choice(flavours)
    tail = rng.choice([tail for tail in common.coined_tails if tail != head.lower()])
    initials = "".join(rng.choices(string.ascii_uppercase, k=rng.choice((2, 3, 3, 4))))
    last, last2 = str(fake.last_name()), str(fake.last_name())
    core = form.format(
        last=last[:1].upper() + last[1:], last2=last2, brand=brand, word=word, coined=head + tail, initials=initials
    )
    legal = rng.choice(locale.legal_suffixes) if locale.legal_suffixes and rng.random() < locale.legal_share else ""

    transliterate = dict(locale.transliterate)
    parts = [_alnum(part, transliterate) for part in core.split()]
    label = "-".join(filter(None, parts)) if rng.random() < common.company_hyphen_share else "".join(parts)
    domain = f"{label[:63].strip('-') or 'company'}.{_tld(rng, locale, table)}"

    (fewest, most), _ = rng.choices(common.company_sizes, weights=[weight for _, weight in common.company_sizes])[0]
    employees = int(math.exp(rng.uniform(math.log(fewest), math.log(most + 1))))
    typed = " ".join(industry.split())
    return {
        "name": f"{core} {legal}".strip(),
        "domain": domain,
        "industry": (typed or table.label) if table is fallback_table() else table.label,
        "city": city,
        "country": locale.country,
        # Clamped: the log-uniform draw can land a rounding error outside its band.
        "employees": min(max(employees, fewest), most),
    }
