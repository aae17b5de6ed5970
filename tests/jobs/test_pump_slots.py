"""A dispatch pump keeps its worker slot (a session advisory lock) for its whole run."""

import pytest
from django.db import connection
from django_q.models import OrmQ

from jobs import broker, tasks

pytestmark = pytest.mark.django_db(transaction=True)


def _slots_held_by_this_session() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted "
            "AND classid::bigint = %s AND pid = pg_backend_pid()",
            [tasks.ADVISORY_NAMESPACE],
        )
        return sorted(int(row[0]) for row in cursor.fetchall())


def test_queueing_another_pump_does_not_drop_the_pumps_slot() -> None:
    # django-q2's ORM broker closes "old" connections outside a transaction; with CONN_MAX_AGE=0
    # that was this session, and the slot lock went with it, so a second pump could take the slot.
    slot = tasks._slot_acquire()
    assert slot == 0
    try:
        broker.dispatch_enqueue()
        broker.dispatch_enqueue(force=True)
        assert _slots_held_by_this_session() == [0]
        assert OrmQ.objects.count() == 2
    finally:
        tasks._slot_release(slot)
    assert _slots_held_by_this_session() == []
