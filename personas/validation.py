"""What a persona is, and the checks every provider's output goes through before it is cached."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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
    seen_names = {" ".join(name.split()).casefold() for name in avoid_names}
    seen_emails = {email.strip().lower() for email in avoid_emails}
    kept: list[dict[str, str]] = []
    rejected: list[str] = []
    for raw in raw_personas:
        persona, reason = clean_persona(raw)
        if persona is None:
            rejected.append(reason)
            continue
        if persona["email"] in seen_emails:
            rejected.append("duplicate email")
            continue
        if persona_name_key(persona) in seen_names:
            rejected.append("duplicate name")
            continue
        seen_emails.add(persona["email"])
        seen_names.add(persona_name_key(persona))
        kept.append(persona)
    return kept, rejected
