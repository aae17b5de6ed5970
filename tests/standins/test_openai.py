"""The stand-in itself, as a separate process: what a cross-process test relies on."""

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from personas.agent import generate_personas
from personas.errors import PersonaError
from personas.openai_models import openai_models_forget

pytestmark = pytest.mark.slow


# The shipped command, and the module the tests start without Django.
LAUNCHERS = {"manage.py openai_standin": ["manage.py", "openai_standin"], "python -m": ["-m", "standins.openai"]}


@pytest.fixture(params=list(LAUNCHERS))
def standin_process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "calls.jsonl"
    process = subprocess.Popen(
        [
            *(sys.executable, *LAUNCHERS[request.param]),
            *("--port", "0", "--latency", "0.2", "--log", str(log), "--models", "gpt-4o-mini, gpt-5-nano"),
        ],
        cwd=django_settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        yield base_url, log
    finally:
        process.terminate()
        process.wait(timeout=10)


def _post(url: str, payload: Any) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_standalone_process_serves_logs_and_takes_scripts(standin_process: tuple[str, Path], settings: Any) -> None:
    base_url, log = standin_process
    settings.OPENAI_API_KEY = "sk-test-standin-secret-0123456789"
    settings.OPENAI_BASE_URL = base_url
    root = base_url.removesuffix("/v1")
    openai_models_forget()

    batch = generate_personas(theme="Rock band", industry="Music", count=4, avoid_names=[])
    assert len(batch.personas) == 4
    assert batch.model == "gpt-5-nano"  # of --models, the one in SIMCRM_MODEL_PREFERENCE

    _post(
        f"{root}/_standin/script",
        [{"kind": "error", "status": 429, "code": "rate_limit_exceeded", "headers": {"retry-after-ms": "300"}}],
    )
    with pytest.raises(PersonaError) as raised:
        generate_personas(theme="Rock band", industry="Music", count=4, avoid_names=[])
    assert raised.value.retry_after == pytest.approx(0.3)

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(log.read_text().splitlines()) < 2:
        time.sleep(0.05)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["status"] for line in lines] == [200, 429]
    ok = lines[0]
    assert ok["end"] - ok["start"] >= 0.2  # the --latency
    assert ok["start"] <= time.monotonic()  # CLOCK_MONOTONIC, comparable across processes
    assert (ok["model"], ok["body"]["reasoning_effort"]) == ("gpt-5-nano", "minimal")
    assert ok["headers"]["authorization"] == "Bearer [redacted]"
    assert json.loads(ok["body"]["messages"][1]["content"])["count"] == 4

    with urllib.request.urlopen(f"{root}/_standin/requests", timeout=5) as response:
        assert len(json.loads(response.read())) == 2  # chat completions only, not the model list

    assert _post(f"{root}/_standin/models", {"models": ["gpt-6-luna"]}) == {"models": ["gpt-6-luna"]}
    openai_models_forget()
    assert generate_personas(theme="Rock band", industry="Music", count=2, avoid_names=[]).model == "gpt-6-luna"
