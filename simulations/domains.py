"""Where generated addresses point: reserved domains by default, lifelike ones on request.

With `reserved` (the default), every company domain and every contact's email domain becomes a
subdomain of example.com, example.org or example.net (RFC 2606): no generated address can reach a
real mailbox, even when a provider wrote a real business's domain, and HubSpot's and Salesforce's
email checks still accept it. Persona pools are shared between simulations, so the choice is
applied when a record is built, never to a cached entry.
"""

import re

from simulations.models import EmailDomains

RESERVED_PARENTS = ("example.com", "example.org", "example.net")
# A hostname has at most 253 characters, a label 63; an email address at most 254.
_MAX_HOST = 253
_MAX_LABEL = 63
_MAX_EMAIL = 254
_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


def reserved_domain(domain: str, *, limit: int = _MAX_HOST) -> str:
    """The reserved form of a domain: `evercore.com` -> `evercore.example.com`, `acme.org` ->
    `acme.example.org`, `brightpath.de` -> `brightpath.de.example.com`; already reserved: unchanged.

    Distinct .com/.org/.net domains stay distinct; other endings keep every label, so they do too.
    Labels are plain lowercase letters, digits and inner hyphens.
    """
    labels = [_label(part) for part in domain.lower().strip(".").split(".")]
    labels = [label for label in labels if label]
    host = ".".join(labels)
    if host in RESERVED_PARENTS or host.endswith(tuple(f".{parent}" for parent in RESERVED_PARENTS)):
        return host
    if len(labels) > 1 and labels[-1] in ("com", "org", "net"):
        labels, parent = labels[:-1], f"example.{labels[-1]}"
    else:
        parent = "example.com"
    labels = labels or ["mail"]
    # Too long for a hostname (or for the address it ends): drop labels from the left, keeping the name's last one.
    while len(labels) > 1 and len(".".join([*labels, parent])) > limit:
        labels = labels[1:]
    first = _label(labels[0][: max(limit - len(parent) - 1, 1)]) or "mail"
    return ".".join([first, *labels[1:], parent])


def email_with_domains(email: str, *, email_domains: str) -> str:
    """The address as a record of a simulation with this `email_domains` setting has it."""
    if email_domains == EmailDomains.REALISTIC or "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    return f"{local}@{reserved_domain(domain, limit=_MAX_EMAIL - len(local) - 1)}"


def domain_with_domains(domain: str, *, email_domains: str) -> str:
    """The company domain as a record of a simulation with this `email_domains` setting has it."""
    return domain if email_domains == EmailDomains.REALISTIC else reserved_domain(domain)


def _label(text: str) -> str:
    return _NOT_LABEL.sub("-", text).strip("-")[:_MAX_LABEL].strip("-")
