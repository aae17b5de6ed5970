"""Concurrent takes on PostgreSQL: one provider call per cold key, no transaction held over HTTP.

Real threads, each with its own database connection, hence transactional tests.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from personas.errors import PersonaError
from personas.models import CachedPersona
from personas.services import TakenPersona, _lock_ids, persona_take
from standins.openai import OpenAIStandIn, StandInReply

pytestmark = pytest.mark.django_db(transaction=True)


def _run_in_threads(count: int, target: Callable[[int], Any]) -> list[Any]:
    """Run target(i) in `count` threads started together; return results (or exceptions) in order."""
    results: list[Any] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _take(theme: str = "Rock Band", industry: str = "Music") -> TakenPersona:
    return persona_take(theme=theme, industry=industry, used_emails=set(), used_names=set())


def _advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return int(cursor.fetchone()[0])


def test_concurrent_takes_on_a_cold_key_make_one_call(openai_standin: OpenAIStandIn) -> None:
    openai_standin.latency = 1.0

    results = _run_in_threads(5, lambda _: _take())

    assert all(isinstance(result, TakenPersona) for result in results), results
    assert len(openai_standin.requests) == 1
    assert sorted(result.cached for result in results) == [False, True, True, True, True]
    row = CachedPersona.objects.get()
    assert row.generation_calls == 1
    assert (row.misses, row.hits) == (1, 4)
    assert _advisory_locks_held() == 0


def test_different_keys_do_not_wait_for_each_other(openai_standin: OpenAIStandIn) -> None:
    openai_standin.latency = 1.0

    results = _run_in_threads(2, lambda i: _take(theme=f"Theme {i}"))

    assert all(isinstance(result, TakenPersona) for result in results), results
    first, second = openai_standin.requests
    assert first.end is not None and second.end is not None
    assert first.start < second.end and second.start < first.end  # both calls were in flight together


def test_no_transaction_is_open_during_the_provider_call(openai_standin: OpenAIStandIn) -> None:
    openai_standin.script([StandInReply.hang()])

    def take_and_close() -> None:
        try:
            _take()
        finally:
            connection.close()

    worker = threading.Thread(target=take_and_close)
    worker.start()
    try:
        assert openai_standin.wait_for_requests(1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
            )
            assert cursor.fetchone()[0] == 0
        assert _advisory_locks_held() == 1  # the single-flight lock, a session lock
    finally:
        openai_standin.release()
        worker.join(timeout=10)
    assert _advisory_locks_held() == 0


def test_waiters_after_a_failed_call_try_again_one_at_a_time(openai_standin: OpenAIStandIn) -> None:
    openai_standin.latency = 0.5
    failure = StandInReply.server_error(503)
    failure.latency = 0.3
    openai_standin.script([failure])

    results = _run_in_threads(3, lambda _: _take())

    errors = [r for r in results if isinstance(r, PersonaError)]
    taken = [r for r in results if isinstance(r, TakenPersona)]
    assert len(errors) == 1 and errors[0].retryable is True
    assert len(taken) == 2
    assert len(openai_standin.requests) == 2
    first, second = openai_standin.requests
    assert first.end is not None and second.start >= first.end  # serial, never overlapping
    assert _advisory_locks_held() == 0


def test_a_waiter_gives_up_retryably_after_its_deadline(
    openai_standin: OpenAIStandIn, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OPENAI_TIMEOUT_SECONDS = 0.3
    monkeypatch.setattr("personas.services._LOCK_SLACK_SECONDS", 0.0)
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", _lock_ids("rock band\nmusic", "openai"))
        started = time.monotonic()
        with pytest.raises(PersonaError) as raised:
            _take()
        assert time.monotonic() - started >= 0.3  # it waited for the lock before giving up
        assert raised.value.retryable is True
        assert raised.value.code == "lock_timeout"
        assert openai_standin.requests == []
    finally:
        holder.close()
    assert _take().cached is False
