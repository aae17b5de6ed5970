"""SimCRM settings: one module, every value read from the environment (or a .env file)."""

from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Debug, secret key and hosts ------------------------------------------------------------------
# Off unless set: `./run` sets DEBUG for the quick start; a server started any other way is production.
DEBUG: bool = env.bool("DEBUG", default=False)
# The fallback key is only for local development. Production (DEBUG off) must set its own: left
# empty, Django refuses to use it, while commands that never need it (mypy, the API schema) still load.
SECRET_KEY: str = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else "")
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Apps, middleware, URLs and templates ---------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "core",
    "personas",
    "jobs",
    "simulations",
    "activities",
    "connectors",
    "operations",
    "standins",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "simcrm_project.urls"
WSGI_APPLICATION = "simcrm_project.wsgi.application"
ASGI_APPLICATION = "simcrm_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file. WAL lets readers go on while one process writes;
    # IMMEDIATE takes the write lock at BEGIN, where SQLite waits up to `timeout` for it (a DEFERRED
    # transaction that reads, then writes, fails at once with "database is locked" whenever another
    # process wrote in between); NORMAL syncs at checkpoints only, which WAL keeps safe.
    _sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite_options.setdefault("timeout", 20)
    _sqlite_options.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite_options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in, language and time -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOGIN_URL = "/admin/login/"

# --- Static files: the React client's build, served by WhiteNoise ---------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
CLIENT_DIST_DIR = BASE_DIR / "client" / "dist"
# Always listed, even before the first build: a server started before `npm run build` (or a test
# session that builds the client) must still find the assets once they exist.
STATICFILES_DIRS = [CLIENT_DIST_DIR]
# ...so "that directory does not exist" is expected until the client is built; `/` says how to build it.
SILENCED_SYSTEM_CHECKS = ["staticfiles.W004"]
# Serve the client build straight from the finders, so no collectstatic is needed to start.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- The API: REST framework and its OpenAPI schema -----------------------------------------------
# Every API body is small JSON; refuse big ones before parsing them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("SIMCRM_MAX_REQUEST_BYTES", default=64 * 1024)

REST_FRAMEWORK: dict[str, Any] = {
    # Token first, so an anonymous request answers 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "simulation_create": env.str("SIMCRM_SIMULATION_CREATE_RATE", default="60/hour"),
    },
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "SimCRM API",
    "DESCRIPTION": "Simulations that fill a CRM with themed contacts over time.",
    "VERSION": "1.0.0",
    # The contract lists /api/schema/ among the documented paths.
    "SERVE_INCLUDE_SCHEMA": True,
    "COMPONENT_SPLIT_REQUEST": True,
    # Docs assets ship with the package, so /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Two choice sets are both called `kind`: name them apart.
    "ENUM_NAME_OVERRIDES": {
        "ConnectionKindEnum": "connectors.models.ConnectionKind",
        "PoolKindEnum": "personas.models.PoolKind",
    },
}

# --- Persona generation ---------------------------------------------------------------------------
# Stripped: a key read from a file often ends in a newline, which is illegal in a header.
OPENAI_API_KEY: str = env.str("OPENAI_API_KEY", default="").strip()
OPENAI_BASE_URL: str | None = env.str("OPENAI_BASE_URL", default="") or None
# "auto": the first model of SIMCRM_MODEL_PREFERENCE that the key can use (personas/openai_models.py);
# any other value is the model itself.
OPENAI_MODEL: str = env.str("OPENAI_MODEL", default="auto").strip() or "auto"
# Small, cheap chat models first, the seed's model last. From OpenAI's model pages and deprecations
# page (stored copies of developers.openai.com/api/docs/models/<model> and /api/docs/deprecations, the
# newest from November 2026):
# - gpt-6-luna: active; the models page recommends it "for cost-sensitive, high-volume workloads".
# - gpt-5.6-luna: active; "roughly corresponds to the nano model tier used in earlier GPT-5 families".
# - gpt-5.4-nano: deprecated (its model page says so), still served.
# - gpt-5-nano: deprecated, shuts down 2026-12-11 (announced 2026-06-11).
# - gpt-4o-mini: deprecated, shuts down 2027-01-14 (announced 2026-10-14); not a reasoning model.
# - gpt-4.1-nano-2025-04-14: the seed's; shut down 2026-10-23 (announced 2026-04-22), kept last for keys
#   or proxies that still serve it.
SIMCRM_MODEL_PREFERENCE: list[str] = [
    name.strip()
    for name in env.list(
        "SIMCRM_MODEL_PREFERENCE",
        default=["gpt-6-luna", "gpt-5.6-luna", "gpt-5.4-nano", "gpt-5-nano", "gpt-4o-mini", "gpt-4.1-nano-2025-04-14"],
    )
    if name.strip()
]
OPENAI_TIMEOUT_SECONDS: float = env.float("OPENAI_TIMEOUT_SECONDS", default=30.0)
SIMCRM_PERSONA_PROVIDER: str = env.str("SIMCRM_PERSONA_PROVIDER", default="openai" if OPENAI_API_KEY else "offline")
SIMCRM_PERSONA_POOL_SIZE: int = env.int("SIMCRM_PERSONA_POOL_SIZE", default=25)
# For the cost forecast of POST /api/simulations/preview/: USD per million (input, output) tokens,
# and the tokens of a typical call of SIMCRM_PERSONA_POOL_SIZE personas when a pool has no history.
# Standard (not Batch, Flex or Fast) prices of prompts under 272K tokens.
SIMCRM_MODEL_PRICES: dict[str, tuple[float, float]] = {
    # OpenAI's gpt-6-luna model page (launched 2026-09-22; $0.10 also on inference.sh, updated 2026-10-13).
    "gpt-6-luna": (0.10, 0.50),
    # OpenAI's gpt-5.6-luna model page, after the 80% cut of 2026-07-30 (LaoZhang's notice, checked 2026-08-01).
    "gpt-5.6-luna": (0.20, 1.20),
    # OpenAI's gpt-5.4-nano model page (snapshot gpt-5.4-nano-2026-03-17; OpenRouter lists the same).
    "gpt-5.4-nano": (0.20, 1.25),
    # OpenAI's gpt-5-nano model page (snapshot gpt-5-nano-2025-08-07).
    "gpt-5-nano": (0.05, 0.40),
    # OpenAI's pricing page no longer lists the 4.x models; these are aipricing.guru's, verified 2026-05-07
    # (github.com/Sraleik/undetermini PRICING.md), the same as OpenAI's launch prices.
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1-nano-2025-04-14": (0.10, 0.40),
    "gpt-4.1-nano": (0.10, 0.40),
    # The seed's table (OpenAI's launch prices); none of these is in the preference.
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4o": (2.50, 10.00),
    **{
        name: (float(prices[0]), float(prices[1]))
        for name, prices in env.json("SIMCRM_MODEL_PRICES", default={}).items()
    },
}
SIMCRM_FORECAST_TOKENS_PER_CALL: tuple[int, int] = (870, 1150)

# --- Delivery to a CRM ----------------------------------------------------------------------------
# One adapter per CRM (connectors.crm.base.CrmAdapter), by import path; the first is the default kind.
SIMCRM_CRM_ADAPTERS: list[str] = [
    "connectors.crm.hubspot.adapter.HUBSPOT_ADAPTER",
    "connectors.crm.salesforce.adapter.SALESFORCE_ADAPTER",
]
# The access tokens are encrypted with SIMCRM_ENCRYPTION_KEY (a Fernet key:
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`), or
# with a key derived from SECRET_KEY when it is unset.
SIMCRM_ENCRYPTION_KEY: str = env.str("SIMCRM_ENCRYPTION_KEY", default="")
SIMCRM_HUBSPOT_PROBE_SECONDS: float = env.float("SIMCRM_HUBSPOT_PROBE_SECONDS", default=300.0)
SIMCRM_HUBSPOT_TIMEOUT_SECONDS: float = env.float("SIMCRM_HUBSPOT_TIMEOUT_SECONDS", default=30.0)
# The same two for every other CRM's adapter: how often a daily limit is probed, how long an answer may take.
SIMCRM_CRM_PROBE_SECONDS: float = env.float("SIMCRM_CRM_PROBE_SECONDS", default=300.0)
SIMCRM_CRM_TIMEOUT_SECONDS: float = env.float("SIMCRM_CRM_TIMEOUT_SECONDS", default=60.0)

# --- Metrics --------------------------------------------------------------------------------------
# A scraper sends `Authorization: Bearer <this>` to read /metrics; staff signed in need none.
SIMCRM_METRICS_TOKEN: str = env.str("SIMCRM_METRICS_TOKEN", default="")

# --- Jobs and the worker (django-q2) --------------------------------------------------------------
SIMCRM_JOB_TIMEOUT_SECONDS: int = env.int("SIMCRM_JOB_TIMEOUT_SECONDS", default=300)
SIMCRM_MAX_ATTEMPTS: int = env.int("SIMCRM_MAX_ATTEMPTS", default=3)
SIMCRM_RETRY_BASE_SECONDS: float = env.float("SIMCRM_RETRY_BASE_SECONDS", default=10.0)
# SQLite allows one writer at a time, so the quick start runs a single worker.
SIMCRM_WORKERS: int = env.int("SIMCRM_WORKERS", default=1 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 2)

Q_CLUSTER = {
    "name": "simcrm",
    "orm": "default",
    # The ORM broker, woken by NOTIFY and by the next job's due time instead of polling (jobs.broker).
    "broker_class": "jobs.broker.DispatchBroker",
    "workers": SIMCRM_WORKERS,
    # timeout well below retry, so the broker never re-delivers a task that is still running.
    "timeout": 180,
    "retry": 360,
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    # Only where nothing can notify (SQLite), and in the bench's plain no-op reference cluster.
    "poll": 0.25,
    "save_limit": 200,
    "label": "Worker tasks",
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"redact_secrets": {"()": "core.redaction.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default config gives "django" a console handler of its own; without this every
        # 4xx and 5xx ("Bad Request: ...") was written twice, once by each handler.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # httpx logs request lines at INFO; keep the worker's output about our jobs.
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        # At DEBUG, httpcore logs request headers, Authorization included.
        "httpcore": {"level": "WARNING"},
        "httpcore2": {"level": "WARNING"},
        "openai": {"level": "WARNING"},
        # django-q2 logs every dispatch round at INFO; jobs.tasks logs the rounds that ran jobs.
        "django-q": {"level": env.str("DJANGO_Q_LOG_LEVEL", default="WARNING")},
    },
}

# --- Production (DEBUG off): HTTPS behind a TLS-terminating proxy ---------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
    SECURE_CONTENT_TYPE_NOSNIFF = True
