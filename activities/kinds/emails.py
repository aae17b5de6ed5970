"""Emails: a new lead's inbound email, marketing emails while it warms, the proposal, check-ins after a win."""

import json

from activities.job_types import CREATE_EMAIL
from activities.kinds import ACTIVITY_FIELDS, ActivitySerializer, activity_kind, beat_step, create_handler
from activities.making import Making
from activities.models import Email, EmailDirection
from activities.story import Beat, story_timeline
from simulations.kinds import KindField

SELLER_DOMAIN = "sales.example.net"  # reserved (RFC 2606): no real mailbox


def seller_address(rep: str) -> str:
    return f"{rep.casefold().replace(' ', '.')}@{SELLER_DOMAIN}"


def _build(making: Making) -> Email:
    inbound = making.beat == Beat.INBOUND_EMAIL
    seller = seller_address(making.rep)
    return Email(
        **making.common(),
        hs_email_subject=making.words.subject,
        hs_email_text=making.words.body,
        hs_email_direction=EmailDirection.INCOMING_EMAIL if inbound else EmailDirection.EMAIL,
        hs_email_status="SENT",
        hs_email_from_email=making.contact.email if inbound else seller,
        hs_email_to_email=seller if inbound else making.contact.email,
    )


def _headers(email: Email) -> str:
    return json.dumps({"from": {"email": email.hs_email_from_email}, "to": [{"email": email.hs_email_to_email}]})


class EmailSerializer(ActivitySerializer):
    class Meta:
        model = Email
        fields = [
            *ACTIVITY_FIELDS,
            "hs_email_subject",
            "hs_email_text",
            "hs_email_direction",
            "hs_email_status",
            "hs_email_from_email",
            "hs_email_to_email",
        ]
        read_only_fields = fields


EMAILS = activity_kind(
    name="emails",
    model=Email,
    serializer=EmailSerializer,
    handlers=(create_handler(CREATE_EMAIL, Email, _build),),
    steps=tuple(
        beat_step(beat, CREATE_EMAIL)
        for beat in (Beat.INBOUND_EMAIL, Beat.MARKETING_EMAIL, Beat.PROPOSAL_EMAIL, Beat.CHECK_IN_EMAIL)
    ),
    # The whole story is drawn once, for the five activity kinds, with the first of them.
    timeline=story_timeline,
    fields=(
        KindField("hs_timestamp", lambda e: e.occurred_at),
        KindField("hs_email_subject", lambda e: e.hs_email_subject),
        KindField("hs_email_text", lambda e: e.hs_email_text),
        KindField("hs_email_direction", lambda e: e.hs_email_direction),
        KindField("hs_email_status", lambda e: e.hs_email_status),
        # HubSpot fills its sender and recipient from the headers (they are read-only there).
        KindField("hs_email_from_email", lambda e: e.hs_email_from_email, delivered=False),
        KindField("hs_email_to_email", lambda e: e.hs_email_to_email, delivered=False),
        KindField("hs_email_headers", _headers, exported=False),
    ),
)
