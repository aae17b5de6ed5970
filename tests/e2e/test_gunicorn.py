"""Production as the README's Deploy section runs it: gunicorn, DEBUG off, behind a TLS-terminating proxy."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import _free_port, make_user
from tests.factories import PASSWORD
from tests.processes import ROOT, process_env, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# What the proxy in front of gunicorn says of the client's connection.
BEHIND_TLS = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def gunicorn(transactional_db: Any, client_dist: Path, artifacts: Path) -> Iterator[str]:
    port = _free_port()
    env = process_env(DEBUG="false", SECRET_KEY="a-production-secret-for-this-test-only", ALLOWED_HOSTS="127.0.0.1")
    log = artifacts / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "simcrm_project.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            if server.poll() is not None:
                raise AssertionError(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
            try:
                return httpx.get(f"{base_url}/api/health/", headers=BEHIND_TLS, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=30, interval=0.2, what="gunicorn to answer")
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_gunicorn_serves_the_client_the_api_and_the_admin_behind_a_tls_proxy(gunicorn: str) -> None:
    user = make_user()
    with httpx.Client(base_url=gunicorn, headers=BEHIND_TLS, timeout=10) as client:
        page = client.get("/")
        assert page.status_code == 200 and '<div id="root">' in page.text
        assert page.headers["strict-transport-security"].startswith("max-age=")
        token = client.post("/api/auth/token/", json={"username": user.username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        listed = client.get("/api/simulations/", headers={"Authorization": f"Token {token.json()['token']}"})
        assert listed.status_code == 200 and listed.json()["count"] == 0
        admin = client.get("/admin/login/")
        assert admin.status_code == 200 and "csrfmiddlewaretoken" in admin.text
        assert "secure" in admin.headers["set-cookie"].lower()
        # A client's error page is not Django's debug page.
        missing = client.get("/api/no-such-endpoint/")
        assert missing.status_code == 404 and "Traceback" not in missing.text
    # Plain HTTP (no proxy header) is sent to HTTPS.
    plain = httpx.get(f"{gunicorn}/api/health/", timeout=10)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
