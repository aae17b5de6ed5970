"""Start SimCRM's real processes (qcluster, run_due_jobs) against the test database."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], *, timeout: float, interval: float = 0.1, what: str = "condition") -> T:
    """Poll until condition() is truthy and return it; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def process_env(**overrides: str) -> dict[str, str]:
    """The environment of a SimCRM process that uses this test run's database."""
    db = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "SIMCRM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="simcrm_project.settings",
        DATABASE_URL=f"postgres://{db['USER'] or 'root'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        DEBUG="true",
        SIMCRM_PERSONA_PROVIDER="offline",
        SIMCRM_RETRY_BASE_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def openai_process_env(base_url: str, **overrides: str) -> dict[str, str]:
    """process_env() for a process whose personas come from the OpenAI stand-in at base_url."""
    from tests.conftest import STANDIN_API_KEY

    return process_env(
        OPENAI_API_KEY=STANDIN_API_KEY, OPENAI_BASE_URL=base_url, SIMCRM_PERSONA_PROVIDER="openai", **overrides
    )


@contextmanager
def running(args: list[str], *, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python manage.py <args>` in its own process group; stop it (SIGTERM, then SIGKILL) on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes], *, timeout: float = 15) -> float:
    """SIGTERM the main process, as a service manager would; SIGKILL the group after timeout."""
    started = time.monotonic()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return time.monotonic() - started
