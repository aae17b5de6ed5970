"""Calls: the discovery call before a lead becomes sales-qualified."""

from activities.job_types import CREATE_CALL
from activities.kinds import ACTIVITY_FIELDS, ActivitySerializer, activity_kind, beat_step, create_handler
from activities.making import Making
from activities.models import Call, CallDirection
from activities.story import Beat
from simulations.kinds import KindField

MINUTE_MS = 60_000


def _build(making: Making) -> Call:
    return Call(
        **making.common(),
        hs_call_title=making.words.subject,
        hs_call_body=making.words.body,
        hs_call_direction=CallDirection.OUTBOUND if making.rng.random() < 0.8 else CallDirection.INBOUND,
        hs_call_duration=making.rng.randint(6, 45) * MINUTE_MS + making.rng.randint(0, 59) * 1000,
        hs_call_status="COMPLETED",
    )


class CallSerializer(ActivitySerializer):
    class Meta:
        model = Call
        fields = [
            *ACTIVITY_FIELDS,
            "hs_call_title",
            "hs_call_body",
            "hs_call_direction",
            "hs_call_duration",
            "hs_call_status",
        ]
        read_only_fields = fields


CALLS = activity_kind(
    name="calls",
    model=Call,
    serializer=CallSerializer,
    handlers=(create_handler(CREATE_CALL, Call, _build),),
    steps=(beat_step(Beat.DISCOVERY_CALL, CREATE_CALL),),
    fields=(
        KindField("hs_timestamp", lambda c: c.occurred_at),
        KindField("hs_call_title", lambda c: c.hs_call_title),
        KindField("hs_call_body", lambda c: c.hs_call_body),
        KindField("hs_call_direction", lambda c: c.hs_call_direction),
        KindField("hs_call_duration", lambda c: c.hs_call_duration),
        KindField("hs_call_status", lambda c: c.hs_call_status),
    ),
)
