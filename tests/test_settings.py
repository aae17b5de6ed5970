"""The settings a process gets from its environment: production's unless DEBUG is set."""

import subprocess
import sys

from tests.processes import ROOT, process_env

READ = """
import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

django.setup()
try:
    key = "dev key" if settings.SECRET_KEY else "empty key"
except ImproperlyConfigured:
    key = "no key"
print(settings.DEBUG, settings.SECURE_SSL_REDIRECT, key)
"""


def _read(**env: str) -> str:
    base = {name: value for name, value in process_env().items() if name not in ("DEBUG", "SECRET_KEY")}
    answer = subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.strip()


def test_debug_is_off_unless_set_and_production_has_no_key_of_its_own() -> None:
    assert _read() == "False True no key"


def test_debug_set_gives_the_quick_starts_settings() -> None:
    assert _read(DEBUG="true") == "True False dev key"
