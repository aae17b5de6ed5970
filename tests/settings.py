"""Test settings: the real settings, pointed at PostgreSQL unless DATABASE_URL says another Postgres."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/simcrm")
# As the quick start runs: `./run` sets DEBUG (tests/e2e/test_gunicorn.py runs production's settings).
os.environ.setdefault("DEBUG", "true")

from simcrm_project.settings import *  # noqa: F403
from simcrm_project.settings import DATABASES, REST_FRAMEWORK

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("SimCRM's tests run against PostgreSQL; set DATABASE_URL to a postgres:// URL.")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"simulation_create": "10000/minute"}
# No test may reach the internet: a test that forgets the stand-in fails loudly.
OPENAI_API_KEY = ""
OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
SIMCRM_PERSONA_PROVIDER = "offline"
SIMCRM_RETRY_BASE_SECONDS = 0.0
# A throwaway record kind, added as one module plus this registration (tests/simulations/test_record_kind_seam.py).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.kind_probe"]  # noqa: F405
