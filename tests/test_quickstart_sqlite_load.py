"""The quick start's SQLite holds a worker and the web server side by side: a 2,000-record b2b
backfill and its replay run while the API is read, with no lock errors and no stuck jobs."""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.processes import ROOT, wait_for
from tests.test_quickstart import _free_port, _processes_with, _reachable, _run_env

pytestmark = pytest.mark.slow

# Generous for a 2-core CI machine; the expected durations are seconds (printed).
DONE_TIMEOUT = 120
COMPARED_FIELDS = {
    "contacts": [
        *("firstname", "lastname", "email", "jobtitle", "company", "industry", "phone", "city", "country"),
        *("source", "lifecyclestage", "occurred_at"),
    ],
    "companies": ["name", "domain", "industry", "city", "country", "employees", "source", "occurred_at"],
    "deals": ["name", "amount", "currency", "pipeline", "dealstage", "closedate", "occurred_at"],
}


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.token = ""

    def call(self, path: str, *, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def all_pages(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        url: str | None = f"{path}?page_size=500"
        while url:
            page = self.call(url)
            rows += page["results"]
            url = page["next"][len(self.base) :] if page["next"] else None
        return rows


class Reader(threading.Thread):
    """Reads the API as the client does (list, detail, contacts) until stopped; keeps every failure."""

    def __init__(self, api: Api) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.simulation_ids: list[int] = []
        self.reads = 0
        self.failures: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            paths = ["/simulations/"]
            for simulation_id in list(self.simulation_ids):
                paths += [f"/simulations/{simulation_id}/", f"/simulations/{simulation_id}/contacts/"]
            for path in paths:
                try:
                    self.api.call(path)
                    self.reads += 1
                except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                    self.failures.append(f"{path}: {error}")
            self.stopping.wait(0.05)


def _finished(api: Api, simulation_id: int) -> dict[str, Any] | None:
    simulation = api.call(f"/simulations/{simulation_id}/")
    return simulation if simulation["status"] == "completed" else None


def _records(api: Api, simulation_id: int) -> dict[str, list[dict[str, Any]]]:
    records = {}
    for kind, fields in COMPARED_FIELDS.items():
        rows = api.all_pages(f"/simulations/{simulation_id}/{kind}/")
        records[kind] = [{field: row[field] for field in fields} for row in rows]
    return records


def test_a_backfill_and_its_replay_run_beside_the_web_server_on_the_quick_starts_sqlite(tmp_path: Path) -> None:
    port = _free_port()
    marker = f"SIMCRM_QUICKSTART_MARKER={uuid.uuid4().hex}"
    env = {**_run_env(tmp_path, port, marker), "PYTHONUNBUFFERED": "1"}
    api = Api(f"http://127.0.0.1:{port}/api")
    reader = Reader(api)
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        script = subprocess.Popen(
            ["./run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(lambda: _reachable(f"{api.base}/health/"), timeout=90, what="the web server")
            api.token = api.call("/auth/token/", body={"username": "admin", "password": "quick-start-password"})[
                "token"
            ]
            reader.start()
            ends_at = timezone.now() - timedelta(hours=1)
            started = time.monotonic()
            original = api.call(
                "/simulations/",
                body={
                    "theme": "Space pirates",
                    "industry": "Logistics",
                    "total_records": 2000,
                    "starts_at": (ends_at - timedelta(days=60)).isoformat(),
                    "ends_at": ends_at.isoformat(),
                    "scenario": "b2b",
                    "distribution": "business_hours",
                    "timezone": "Europe/Berlin",
                    "seed": 23,
                },
            )
            reader.simulation_ids.append(original["id"])
            original = wait_for(
                lambda: _finished(api, original["id"]), timeout=DONE_TIMEOUT, interval=0.2, what="the backfill"
            )
            backfill_seconds = time.monotonic() - started

            started = time.monotonic()
            replay = api.call(f"/simulations/{original['id']}/replay/", body={})
            reader.simulation_ids.append(replay["id"])
            replay = wait_for(
                lambda: _finished(api, replay["id"]), timeout=DONE_TIMEOUT, interval=0.2, what="the replay"
            )
            replay_seconds = time.monotonic() - started
            reader.stopping.set()
            reader.join(timeout=30)
            print(
                f"backfill {backfill_seconds:.1f} s, replay {replay_seconds:.1f} s, "
                f"{reader.reads} API reads beside them"
            )

            original_records = _records(api, original["id"])
            replay_records = _records(api, replay["id"])
        finally:
            reader.stopping.set()
            if script.poll() is None:
                os.killpg(script.pid, signal.SIGINT)
                try:
                    script.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(script.pid, signal.SIGKILL)
            for pid in _processes_with(marker):
                os.kill(pid, signal.SIGKILL)
    output = log_path.read_text()

    assert "database is locked" not in output, output[-5000:]
    assert "stayed busy" not in output, output[-5000:]
    assert "Traceback" not in output, output[-5000:]
    for simulation in (original, replay):
        assert simulation["job_counts"]["processing"] == 0, simulation
        assert simulation["job_counts"]["failed"] == 0, simulation
        assert simulation["contacts_created"] == 2000, simulation
    assert len(original_records["contacts"]) == 2000
    assert original_records["companies"] and original_records["deals"]
    assert replay_records == original_records
    assert reader.reads > 0 and not reader.failures, reader.failures[:5]
