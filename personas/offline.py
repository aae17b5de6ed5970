"""The offline persona provider: Faker names, flavoured by the theme and industry, no network.

Same signature as `personas.agent.generate_personas`. Output is seeded by the key and by how many
names already exist, so a run is reproducible, while an extension of a pool writes new people.
"""

import hashlib
import re
import unicodedata

from faker import Faker

from personas.validation import GeneratedBatch, clean_personas, name_key

_STOPWORDS = frozenset("a an and the of for in on at to with by from or our your their its is are be as into".split())
_COMPANY_SUFFIXES = (
    "Collective",
    "Group",
    "Partners",
    "Studios",
    "Works",
    "Labs",
    "Co.",
    "Agency",
    "Ventures",
    "Guild",
    "Industries",
    "Network",
    "Company",
    "Associates",
    "Outfitters",
)
_LEVELS = ("", "Senior", "Lead", "Head of", "Chief", "Junior", "Principal", "Associate")
_FUNCTIONS = (
    "Manager",
    "Coordinator",
    "Specialist",
    "Director",
    "Strategist",
    "Producer",
    "Consultant",
    "Analyst",
    "Officer",
    "Buyer",
    "Curator",
    "Planner",
)
_MAX_TRIES_PER_PERSONA = 200


def _theme_words(*texts: str) -> list[str]:
    words: list[str] = []
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", text):
            word = word[:30].capitalize()
            if len(word) > 2 and word.casefold() not in _STOPWORDS and word not in words:
                words.append(word)
    return words


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _local_part(*names: str) -> str:
    return ".".join(part.replace("-", "") for part in (_slug(name) for name in names) if part) or "contact"


def generate_personas(*, theme: str, industry: str, count: int, avoid_names: list[str]) -> GeneratedBatch:
    """Write `count` themed personas locally, none named like `avoid_names`, emails unique in the batch."""
    seed_text = f"{name_key(theme, '')}\n{name_key(industry, '')}\n{len(avoid_names)}"
    fake = Faker("en_US")
    fake.seed_instance(int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "big"))
    rng = fake.random

    words = _theme_words(theme) or _theme_words(industry) or ["Summit"]
    industry_label = " ".join(industry.split()) or "General"
    taken = {" ".join(name.split()).casefold() for name in avoid_names}
    emails: set[str] = set()
    personas: list[dict[str, str]] = []

    tries = 0
    while len(personas) < count and tries < count * _MAX_TRIES_PER_PERSONA:
        tries += 1
        firstname, lastname = fake.first_name(), fake.last_name()
        if tries > count * 20:
            # Common names run out for very large pools: double-barrelled surnames are plenty.
            lastname = f"{lastname}-{fake.last_name()}"
        if name_key(firstname, lastname) in taken:
            continue
        word = rng.choice(words)
        company = rng.choice(
            (
                f"{word} {rng.choice(_COMPANY_SUFFIXES)}",
                f"{fake.last_name()} {word} {rng.choice(_COMPANY_SUFFIXES)}",
                f"{word} & {fake.last_name()}",
            )
        )
        level = rng.choice(_LEVELS)
        jobtitle = " ".join(filter(None, (level, rng.choice(words), rng.choice(_FUNCTIONS))))
        domain = f"{(_slug(company).replace('-', '') or 'company')[:40]}.com"
        local = _local_part(firstname, lastname)
        email = f"{local}@{domain}"
        suffix = 2
        while email in emails:
            email = f"{local}{suffix}@{domain}"
            suffix += 1
        taken.add(name_key(firstname, lastname))
        emails.add(email)
        personas.append(
            {
                "firstname": firstname,
                "lastname": lastname,
                "email": email,
                "jobtitle": jobtitle,
                "company": company,
                "industry": industry_label,
            }
        )
    cleaned, _ = clean_personas(personas, avoid_names=avoid_names)
    return GeneratedBatch(personas=cleaned, prompt_tokens=0, completion_tokens=0)
