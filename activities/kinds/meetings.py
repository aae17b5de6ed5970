"""Meetings: the first meeting when a deal opens, the presentation, the kickoff after a win."""

from datetime import timedelta

from activities.job_types import CREATE_MEETING
from activities.kinds import ACTIVITY_FIELDS, ActivitySerializer, activity_kind, beat_step, create_handler
from activities.making import Making
from activities.models import Meeting
from activities.story import Beat
from simulations.kinds import KindField


def _build(making: Making) -> Meeting:
    minutes = making.rng.choice((30, 30, 45, 60, 60, 90))
    return Meeting(
        **making.common(),
        hs_meeting_title=making.words.subject,
        hs_meeting_body=making.words.body,
        hs_meeting_start_time=making.occurred_at,
        hs_meeting_end_time=making.occurred_at + timedelta(minutes=minutes),
        hs_meeting_outcome="COMPLETED",
    )


class MeetingSerializer(ActivitySerializer):
    class Meta:
        model = Meeting
        fields = [
            *ACTIVITY_FIELDS,
            "hs_meeting_title",
            "hs_meeting_body",
            "hs_meeting_start_time",
            "hs_meeting_end_time",
            "hs_meeting_outcome",
        ]
        read_only_fields = fields


MEETINGS = activity_kind(
    name="meetings",
    model=Meeting,
    serializer=MeetingSerializer,
    handlers=(create_handler(CREATE_MEETING, Meeting, _build),),
    steps=tuple(
        beat_step(beat, CREATE_MEETING) for beat in (Beat.DEAL_MEETING, Beat.PRESENTATION_MEETING, Beat.KICKOFF_MEETING)
    ),
    fields=(
        KindField("hs_timestamp", lambda m: m.occurred_at),
        KindField("hs_meeting_title", lambda m: m.hs_meeting_title),
        KindField("hs_meeting_body", lambda m: m.hs_meeting_body),
        KindField("hs_meeting_start_time", lambda m: m.hs_meeting_start_time),
        KindField("hs_meeting_end_time", lambda m: m.hs_meeting_end_time),
        KindField("hs_meeting_outcome", lambda m: m.hs_meeting_outcome),
    ),
)
