"""What the console log shows: each refused request once, and cache keys on one readable line."""

import logging
import subprocess
import sys

import pytest

from personas.services import persona_take
from tests.processes import ROOT, process_env

PROBE = """
import django
django.setup()
from django.test import Client
Client().get("/api/simulations/")
"""


def test_a_refused_request_is_logged_once() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**process_env(), "DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stderr.count("Unauthorized: /api/simulations/") == 1, result.stderr


@pytest.mark.django_db
def test_a_pool_is_logged_by_theme_and_industry_on_one_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="personas.services"):
        persona_take(theme="Rock  band", industry="Music", used_emails=set(), used_names=set())

    grew = [record.getMessage() for record in caplog.records if "grew by" in record.getMessage()]
    assert grew and grew[0].startswith('Persona pool "rock band / music" (offline) grew by')
    assert "\\n" not in grew[0] and "\n" not in grew[0]
