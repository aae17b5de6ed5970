"""A dispatch pump keeps its worker slot (a session advisory lock) for its whole run."""

import threading
from typing import Any

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
        assert _slots_held_by_this_session() == [tasks.slot_key(0)]
        assert OrmQ.objects.count() == 2
    finally:
        tasks._slot_release(slot)
    assert _slots_held_by_this_session() == []


def _slot_taken_in_another_session() -> int | None:
    """The slot a pump in another session (thread) would get; released again."""
    taken: list[int | None] = []

    def run() -> None:
        try:
            slot = tasks._slot_acquire()
            taken.append(slot)
            if slot is not None:
                tasks._slot_release(slot)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return taken[0]


def test_each_machine_has_its_own_slots(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.SIMCRM_WORKERS = 2
    slot = tasks._slot_acquire()
    assert slot is not None
    try:
        same_machine = _slot_taken_in_another_session()
        monkeypatch.setattr(tasks, "HOST_KEY", tasks.HOST_KEY + 1)  # a cluster on another machine
        other_machine = _slot_taken_in_another_session()
        monkeypatch.undo()
    finally:
        tasks._slot_release(slot)
    assert (slot, same_machine, other_machine) == (0, 1, 0)  # the same machine's next slot; the other's first
