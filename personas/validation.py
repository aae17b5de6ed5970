"""What a persona is, and the checks every provider's output goes through before it is cached."""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

REQUIRED_PROPERTIES: tuple[str, ...] = ("firstname", "lastname", "email", "jobtitle", "company", "industry")
# Where the person is: strings that may be empty (pools written before these existed have none).
DETAIL_PROPERTIES: tuple[str, ...] = ("phone", "city", "country")
PERSONA_PROPERTIES: tuple[str, ...] = REQUIRED_PROPERTIES + DETAIL_PROPERTIES
# Contact columns are varchar(255); email is an EmailField of 254.
MAX_FIELD_LENGTH = 255
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class GeneratedBatch:
    """One provider call's output: cleaned personas and the tokens the call cost."""

    personas: list[dict[str, str]]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""  # the model that wrote them


def name_key(firstname: str, lastname: str) -> str:
    """The form `used_names` and `avoid_names` are compared in: case-folded "firstname lastname"."""
    return " ".join(f"{firstname} {lastname}".split()).casefold()


def persona_name_key(persona: dict[str, str]) -> str:
    return name_key(persona.get("firstname", ""), persona.get("lastname", ""))


def persona_email_key(persona: dict[str, str]) -> str:
    return persona.get("email", "").strip().lower()


def clean_text(value: str, *, limit: int = MAX_FIELD_LENGTH) -> str:
    """Strip NUL (PostgreSQL rejects it in text) and other control characters, collapse whitespace, cap length."""
    value = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in value.replace("\x00", ""))
    return " ".join(value.split())[:limit].strip()


def clean_persona(raw: Any) -> tuple[dict[str, str] | None, str]:
    """Return (clean persona, "") or (None, reason it was rejected)."""
    if not isinstance(raw, dict):
        return None, "not an object"
    persona: dict[str, str] = {}
    for prop in REQUIRED_PROPERTIES:
        value = raw.get(prop)
        if not isinstance(value, str):
            return None, f"{prop} missing or not a string"
        cleaned = clean_text(value)
        if not cleaned:
            return None, f"{prop} blank"
        persona[prop] = cleaned
    for prop in DETAIL_PROPERTIES:
        value = raw.get(prop, "")
        if not isinstance(value, str):
            return None, f"{prop} not a string"
        persona[prop] = clean_text(value)
    email = clean_text(raw["email"], limit=10_000).lower()
    if len(email) > MAX_EMAIL_LENGTH:
        return None, "email too long"
    try:
        validate_email(email)
    except ValidationError:
        return None, "invalid email"
    persona["email"] = email
    return persona, ""


def clean_personas(
    raw_personas: Iterable[Any], *, avoid_names: Iterable[str] = (), avoid_emails: Iterable[str] = ()
) -> tuple[list[dict[str, str]], list[str]]:
    """Clean a provider's personas: drop invalid ones and duplicates (within the batch and against the avoid lists).

    Returns (personas kept, reasons for the ones dropped).
    """
    return _clean_distinct(
        raw_personas,
        clean_persona,
        unique="email",
        name_of=persona_name_key,
        avoid_names=avoid_names,
        avoid=avoid_emails,
    )


_Entry = TypeVar("_Entry", bound=Mapping[str, Any])


def _clean_distinct(
    raw_entries: Iterable[Any],
    clean_one: Callable[[Any], tuple[_Entry | None, str]],
    *,
    unique: str,
    name_of: Callable[[_Entry], str],
    avoid_names: Iterable[str],
    avoid: Iterable[str],
) -> tuple[list[_Entry], list[str]]:
    """Entries cleaned one by one, then kept only when their `unique` field and their name are new."""
    seen_names = {" ".join(name.split()).casefold() for name in avoid_names}
    seen = {value.strip().lower() for value in avoid}
    kept: list[_Entry] = []
    rejected: list[str] = []
    for raw in raw_entries:
        entry, reason = clean_one(raw)
        if entry is None:
            rejected.append(reason)
            continue
        if entry[unique] in seen:
            rejected.append(f"duplicate {unique}")
            continue
        if name_of(entry) in seen_names:
            rejected.append("duplicate name")
            continue
        seen.add(entry[unique])
        seen_names.add(name_of(entry))
        kept.append(entry)
    return kept, rejected


# --- companies ------------------------------------------------------------------------------------------

COMPANY_STRING_PROPERTIES: tuple[str, ...] = ("name", "domain", "industry", "city", "country")
COMPANY_PROPERTIES: tuple[str, ...] = (*COMPANY_STRING_PROPERTIES, "employees")
# More than the largest employer on earth: a bigger figure is a model's slip, not a company.
MAX_EMPLOYEES = 10_000_000
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class GeneratedCompanies:
    """One provider call's output: cleaned companies and the tokens the call cost."""

    companies: list[dict[str, Any]]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""  # the model that wrote them


def company_name_key(company: dict[str, Any]) -> str:
    """The form company names are compared in: case-folded, whitespace collapsed."""
    return " ".join(str(company.get("name", "")).split()).casefold()


def clean_domain(value: str) -> str:
    """A lower-case hostname ("orbitfreight.io") from what a provider wrote, or "" if it is not one.

    A scheme, path, port, trailing dot and leading "www." are dropped; anything else that is not a
    hostname (spaces, underscores, a single label, a numeric TLD) is refused rather than guessed at.
    """
    host = clean_text(value, limit=10_000).lower()
    host = host.split("://", 1)[-1]
    host = re.split(r"[/?#:]", host, maxsplit=1)[0].strip(".")
    host = host.removeprefix("www.")
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not labels[-1].isalpha():
        return ""
    return host if all(_HOST_LABEL.match(label) for label in labels) else ""


def clean_employees(value: Any) -> int | None:
    """A head count as a positive int (from an int, an integral float or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        digits = re.sub(r"[\s,_]", "", value)
        value = int(digits) if re.fullmatch(r"[0-9]+", digits) else None
    elif isinstance(value, float):
        value = int(value) if value.is_integer() else None
    if not isinstance(value, int) or not 1 <= value <= MAX_EMPLOYEES:
        return None
    return value


def clean_company(raw: Any) -> tuple[dict[str, Any] | None, str]:
    """Return (clean company, "") or (None, reason it was rejected)."""
    if not isinstance(raw, dict):
        return None, "not an object"
    company: dict[str, Any] = {}
    for prop in COMPANY_STRING_PROPERTIES:
        value = raw.get(prop)
        if not isinstance(value, str):
            return None, f"{prop} missing or not a string"
        cleaned = clean_text(value)
        if not cleaned:
            return None, f"{prop} blank"
        company[prop] = cleaned
    company["domain"] = clean_domain(raw["domain"])
    if not company["domain"]:
        return None, "invalid domain"
    employees = clean_employees(raw.get("employees"))
    if employees is None:
        return None, "employees not a positive whole number"
    company["employees"] = employees
    return company, ""


def clean_companies(
    raw_companies: Iterable[Any], *, avoid_names: Iterable[str] = (), avoid_domains: Iterable[str] = ()
) -> tuple[list[dict[str, Any]], list[str]]:
    """Clean a provider's companies: drop invalid ones and duplicates by case-folded name or by domain
    (within the batch and against the avoid lists). Returns (companies kept, reasons for the ones dropped)."""
    return _clean_distinct(
        raw_companies,
        clean_company,
        unique="domain",
        name_of=company_name_key,
        avoid_names=avoid_names,
        avoid=avoid_domains,
    )


# --- activity texts: templates with slots, written by a model ---------------------------------------

TEMPLATE_PARTS = ("subjects", "openers", "middles", "closers")
MAX_TEMPLATE_LENGTH = 400
_SLOT = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class GeneratedTexts:
    """The templates of one moment of a theme's activities, by part, and what writing them cost."""

    templates: dict[str, list[str]]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""


def clean_templates(raw: Any, *, slots: frozenset[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The usable templates of each part, and why the others were dropped: plain text, at most
    MAX_TEMPLATE_LENGTH characters, braces only around the slots asked for, each template once."""
    if not isinstance(raw, dict):
        return {part: [] for part in TEMPLATE_PARTS}, ["not an object"]
    cleaned: dict[str, list[str]] = {}
    rejected: list[str] = []
    for part in TEMPLATE_PARTS:
        kept: list[str] = []
        for value in raw.get(part) or []:
            text = clean_text(value, limit=MAX_TEMPLATE_LENGTH) if isinstance(value, str) else ""
            unknown = [name for name in _SLOT.findall(text) if name not in slots]
            if not text or unknown or text.count("{") != text.count("}") or "<" in text:
                rejected.append(f"{part}: {'unknown slot' if unknown else 'not plain text'}")
            elif text not in kept:
                kept.append(text)
        cleaned[part] = kept
    return cleaned, rejected
