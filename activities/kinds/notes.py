"""Notes: a new lead's form, the discovery call's notes, the reason a deal was lost."""

from activities.job_types import CREATE_NOTE
from activities.kinds import ACTIVITY_FIELDS, ActivitySerializer, activity_kind, beat_step, create_handler
from activities.making import Making
from activities.models import Note
from activities.story import Beat
from simulations.kinds import KindField


def _build(making: Making) -> Note:
    return Note(**making.common(), hs_note_body=making.words.body)


class NoteSerializer(ActivitySerializer):
    class Meta:
        model = Note
        fields = [*ACTIVITY_FIELDS, "hs_note_body"]
        read_only_fields = fields


NOTES = activity_kind(
    name="notes",
    model=Note,
    serializer=NoteSerializer,
    handlers=(create_handler(CREATE_NOTE, Note, _build),),
    steps=tuple(beat_step(beat, CREATE_NOTE) for beat in (Beat.FORM_NOTE, Beat.DISCOVERY_NOTE, Beat.LOSS_NOTE)),
    fields=(
        KindField("hs_timestamp", lambda n: n.occurred_at),
        KindField("hs_note_body", lambda n: n.hs_note_body),
    ),
)
