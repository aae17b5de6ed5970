"""Notes: a new lead's form, the discovery call's notes, the reason a deal was lost."""

from activities.job_types import CREATE_NOTE
from activities.kinds import (
    ACTIVITY_FIELDS,
    ASSOCIATION_COLUMNS,
    ASSOCIATIONS,
    EXPORT_RELATED,
    ActivityAdmin,
    ActivitySerializer,
    beat_step,
    create_handler,
)
from activities.making import Making
from activities.models import Note
from activities.story import Beat
from simulations.kinds import KindField, RecordKind


def _build(making: Making) -> Note:
    return Note(**making.common(), hs_note_body=making.words.body)


class NoteSerializer(ActivitySerializer):
    class Meta:
        model = Note
        fields = [*ACTIVITY_FIELDS, "hs_note_body"]
        read_only_fields = fields


NOTES = RecordKind(
    name="notes",
    model=Note,
    serializer=NoteSerializer,
    admin=ActivityAdmin,
    handlers=(create_handler(CREATE_NOTE, Note, _build),),
    steps=tuple(beat_step(beat, CREATE_NOTE) for beat in (Beat.FORM_NOTE, Beat.DISCOVERY_NOTE, Beat.LOSS_NOTE)),
    fields=(
        KindField("hs_timestamp", lambda n: n.occurred_at),
        KindField("hs_note_body", lambda n: n.hs_note_body),
        *ASSOCIATION_COLUMNS,
    ),
    export_related=EXPORT_RELATED,
    delivered=True,
    associations=ASSOCIATIONS,
    activity=True,
    since_version=3,
    list_doc="Its notes, in the order of its timeline.",
)
