"""The README's run command: web and worker on the embedded defaults, and a clean Ctrl+C."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.processes import ROOT, wait_for

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, *, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _reachable(url: str) -> bool:
    try:
        _call(url)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
    return True


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _run_env(tmp_path: Path, port: int, marker: str) -> dict[str, str]:
    """The quick start's environment: embedded defaults (no OpenAI), nothing installed, a throwaway SQLite file."""
    # Without DEBUG or SECRET_KEY from the test run: ./run must set what the quick start needs.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPENAI_", "SIMCRM_", "DJANGO_")) and key not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(
        dict([marker.split("=")]),
        SIMCRM_SKIP_INSTALL="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PORT=str(port),
        SIMCRM_ADMIN_USERNAME="admin",
        SIMCRM_ADMIN_PASSWORD="quick-start-password",
        PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    )
    return env


def _main_process(marker: str, command: str) -> int:
    """The pid of `manage.py <command>`'s main process (its group's leader: ./run starts each part with setsid)."""
    for pid in _processes_with(marker):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command.encode() in cmdline and os.getpgid(pid) == pid:
            return pid
    raise AssertionError(f"no manage.py {command} process found")


def test_run_starts_web_and_worker_on_sqlite_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = _free_port()
    marker = f"SIMCRM_QUICKSTART_MARKER={uuid.uuid4().hex}"
    env = _run_env(tmp_path, port, marker)
    base = f"http://127.0.0.1:{port}/api"
    with (tmp_path / "run.log").open("wb") as log:
        script = subprocess.Popen(
            ["./run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(lambda: _reachable(f"{base}/health/"), timeout=90, what="the web server")
            token = _call(f"{base}/auth/token/", body={"username": "admin", "password": "quick-start-password"})[
                "token"
            ]
            simulation = _call(
                f"{base}/simulations/", body={"theme": "Space pirates", "industry": "Logistics"}, token=token
            )
            contacts = wait_for(
                lambda: _call(f"{base}/simulations/{simulation['id']}/contacts/", token=token)["results"],
                timeout=30,
                what="the first contact from the worker",
            )
            assert contacts[0]["source"] == "offline"

            # Ctrl+C in a terminal: SIGINT to the foreground process group, which is the script's.
            started = time.monotonic()
            os.killpg(script.pid, signal.SIGINT)
            script.wait(timeout=20)
            stopped_in = time.monotonic() - started
        finally:
            if script.poll() is None:
                os.killpg(script.pid, signal.SIGKILL)
    output = (tmp_path / "run.log").read_text()
    assert "Sign in as admin" in output
    # Start-up ends with a framed summary: where to go, who to sign in as, how to stop.
    frame = output[output.index("| SimCRM is running") :]
    for line in (
        f"| Open      http://127.0.0.1:{port}/",
        "| Sign in   admin / quick-start-password",
        f"| Admin     http://127.0.0.1:{port}/admin/",
        "| Personas  offline provider",
        "| Stop      Ctrl+C",
    ):
        assert line in frame, output
    assert "objects imported automatically" not in output
    assert "Applying " not in output  # no wall of migration lines before it
    assert stopped_in < 10, f"took {stopped_in:.1f} s to stop"
    leftovers = _processes_with(marker)
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"processes left behind: {leftovers}\n{output[-2000:]}"


def test_when_the_worker_ends_run_says_which_part_ended_and_why_and_stops_the_web_server(tmp_path: Path) -> None:
    marker = f"SIMCRM_QUICKSTART_MARKER={uuid.uuid4().hex}"
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        script = subprocess.Popen(
            ["./run"],
            cwd=ROOT,
            env=_run_env(tmp_path, _free_port(), marker),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(lambda: "| Stop      Ctrl+C" in log_path.read_text(), timeout=90, what="the start-up frame")
            worker = _main_process(marker, "qcluster")
            os.kill(worker, signal.SIGKILL)
            script.wait(timeout=30)
        finally:
            if script.poll() is None:
                os.killpg(script.pid, signal.SIGKILL)
    output = log_path.read_text()
    assert script.returncode == 1, output
    assert (
        f"==> The worker (manage.py qcluster) (pid {worker}) was ended by signal SIGKILL (from outside SimCRM" in output
    ), output
    assert '"Running the parts separately" in README.md' in output
    assert "### Running the parts separately" in (ROOT / "README.md").read_text()  # the pointer leads somewhere
    assert "==> Stopped" in output
    leftovers = _processes_with(marker)
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, f"processes left behind: {leftovers}\n{output[-2000:]}"
