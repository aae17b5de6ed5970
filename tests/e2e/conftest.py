"""Fixtures for the browser tests: a built client, a real web server and worker, and Chromium.

The web server (`manage.py runserver`) and the worker (`manage.py qcluster`) are subprocesses on
this test run's database, like tests/jobs/test_qcluster.py. The browser is Debian's chromium
driven by Playwright; Playwright's own browser download is never used.
"""

import os
import shutil
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User

from tests.factories import PASSWORD, UserFactory
from tests.processes import ROOT, process_env, running, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CLIENT_INDEX = ROOT / "client" / "dist" / "index.html"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium; without it the browser tests skip locally and fail under CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or run ./test"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set, so the browser tests must run: {reason}", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def client_dist() -> Path:
    """The built React client; built here (never skipped) when client/dist/index.html is missing."""
    if not CLIENT_INDEX.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("client/dist/index.html is missing and npm is not installed to build it", pytrace=False)
        if not (ROOT / "client" / "node_modules").exists():
            subprocess.run([npm, "--prefix", "client", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
        subprocess.run([npm, "--prefix", "client", "run", "build"], cwd=ROOT, check=True)
    assert CLIENT_INDEX.exists(), "npm run build did not write client/dist/index.html"
    return CLIENT_INDEX.parent


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def web_server(
    transactional_db: Any, client_dist: Path, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """`manage.py runserver` on a free port against the test database; yields its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = artifacts / f"{request.node.name}.runserver.log"
    # DEBUG on: plain-HTTP cookies and the dev-server defaults, as `./run` uses them.
    env = process_env(DEBUG="true")
    with running(["runserver", "--noreload", f"127.0.0.1:{port}"], env=env, log=log) as server:

        def ready() -> bool:
            if server.poll() is not None:
                raise AssertionError(f"runserver exited with {server.returncode}:\n{log.read_text()}")
            return _answers(f"{base_url}/api/health/")

        wait_for(ready, timeout=30, interval=0.2, what=f"runserver to answer on {base_url}")
        yield base_url


@pytest.fixture
def worker(transactional_db: Any, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """`manage.py qcluster` against the test database, offline persona provider."""
    log = artifacts / f"{request.node.name}.qcluster.log"
    with running(["qcluster"], env=process_env(), log=log) as cluster:
        yield cluster


def make_user(**kwargs: Any) -> User:
    """A user whose password the web server can check.

    The test settings hash with MD5 for speed, which the real settings do not accept, so the hash is
    made with Django's default hasher (PBKDF2).
    """
    user: User = UserFactory.create(**kwargs)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


@contextmanager
def browser_page(
    chromium: Path, *, width: int = 1280, height: int = 900, timezone_id: str | None = None, locale: str | None = None
) -> Iterator["Page"]:
    """A fresh Chromium page (optionally with the browser's own time zone and locale set).

    Playwright's sync API keeps an event loop running while it is open, so Django's ORM refuses to
    work inside this block: touch the database before or after it, not within.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            options: dict[str, Any] = {"viewport": {"width": width, "height": height}}
            if timezone_id:
                options["timezone_id"] = timezone_id
            if locale:
                options["locale"] = locale
            context = browser.new_context(**options)
            context.set_default_timeout(15_000)
            yield context.new_page()
        finally:
            browser.close()
