"""Settings shared by every environment, configured from the environment.

Each variable is documented in `.env.example`. Without `DATABASE_URL` the portal uses a
SQLite file; without `REDIS_URL` Celery uses kombu's filesystem broker and the cache is
local memory, so a newcomer needs no server at all. Both live under `var/`, which
`make run` creates: reading settings creates nothing.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

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
    "drf_spectacular_sidecar",  # Swagger UI from our own static files: /api/docs/ works offline
    "simple_history",
    "django_celery_beat",
    "axes",
    "governance",
    "predictions",
    "monitoring",
]

MIDDLEWARE = [
    # Outermost, so every response (error pages included) is counted and timed.
    "loanportal.metrics.PrometheusMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "loanportal.middleware.RequestIdMiddleware",
    # Inside the request id (so its header is copied) and outside everything that answers.
    "loanportal.middleware.ApiJsonErrorsMiddleware",
    # A database outage becomes a quick JSON 503 (still counted by the metrics above).
    "loanportal.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "loanportal.urls"
WSGI_APPLICATION = "loanportal.wsgi.application"

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

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web workers, the Celery worker and beat share one file: WAL lets readers run
    # beside the writer, and IMMEDIATE transactions queue writers instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that needs no round trip (loanportal/postgresql).
        DATABASES["default"]["ENGINE"] = "loanportal.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that is down must turn into a fast 503, not a hung worker.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=2)}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker ----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # Throttle counters live here; when Redis is down, scoring must go on.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if REDIS_URL:
    # With late acks a task whose worker died (killed, OOM, lost host) is never acknowledged;
    # Redis hands it to another worker this many seconds after it was delivered. It must
    # exceed the longest task time limit (CELERY_TASK_TIME_LIMIT, 15 min), or a task that
    # is still running would be delivered a second time.
    #
    # When Redis drops the worker's connection (restart, failover), redis-py reconnects on
    # its own but the worker's blocking BRPOP is never sent again: the worker looks idle and
    # consumes nothing until kombu's health check, every `health_check_interval` seconds,
    # finds the BRPOP unanswered and restarts the consumer. kombu's 25 s default left jobs
    # stalled for about 50 s after Redis came back (tests/system/test_redis_outage.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60),
        "health_check_interval": env.int("CELERY_BROKER_HEALTH_CHECK_INTERVAL", default=10),
    }
else:
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True  # results are rows in the database, not broker messages
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Auth --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Admin login is rate-limited against guessing (django-axes): after ADMIN_LOGIN_FAILURE_LIMIT
# failures for one username from one address, logins from there are refused with a 429
# for ADMIN_LOGIN_COOLOFF_MINUTES; a success resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# ISO dates and times marked UTC on every admin screen (`loanportal/formats/en/formats.py`).
FORMAT_MODULE_PATH = ["loanportal.formats"]
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "loanportal.authentication.PortalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only, and strictly: duplicated keys, NaN/Infinity and absurd nesting are a 400.
    "DEFAULT_PARSER_CLASSES": ["loanportal.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["loanportal.renderers.FastJSONRenderer"],
    "EXCEPTION_HANDLER": "loanportal.exceptions.api_exception_handler",
    # Per API client, fixed windows on the cache (loanportal.throttles): "<n>/<s|min|hour|day>".
    # A loan origination system sends a few requests a second at peak; the limits stop a
    # runaway client from starving the others (the benchmark raises them).
    "DEFAULT_THROTTLE_RATES": {
        "api": env.str("API_THROTTLE_RATE", default="1200/min"),
        "api-batch": env.str("API_BATCH_THROTTLE_RATE", default="30/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "loanportal.schema.PortalAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "loanportal.pagination.StrictLimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loan Model Governance Portal API",
    "DESCRIPTION": "Default-risk scoring, model registry and approval workflow, monitoring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share field names get one schema name each.
    "ENUM_NAME_OVERRIDES": {
        "VersionStateEnum": "governance.models.VersionState",
        "MonitoringJobKindEnum": "monitoring.models.JobKind",
        "MonitoringRunStatusEnum": "monitoring.models.RunStatus",
        "IncidentKindEnum": "monitoring.models.IncidentKind",
        "IncidentStatusEnum": "monitoring.models.IncidentStatus",
        "RetrainingTriggerEnum": "governance.models.RetrainingTrigger",
        "RetrainingStateEnum": "governance.models.RetrainingState",
        "MonitoringTriggerEnum": "monitoring.models.Trigger",
    },
}
# Each web worker remembers a valid API token's user and roles this many seconds, saving a
# query per request; a revoked token, a deactivated user or a removed role takes effect
# within that time (loanportal/authentication.py). 0 turns it off.
API_TOKEN_CACHE_SECONDS = env.float("API_TOKEN_CACHE_SECONDS", default=5.0)
# A batch of 10,000 applications is about 7 MB of compact JSON (9-10 MB indented); bodies
# above the limit are refused with a JSON 413 before they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=16 * 1024 * 1024)

# --- Portal ------------------------------------------------------------------
MODEL_ARTIFACT_DIR = Path(env.str("MODEL_ARTIFACT_DIR", default=str(BASE_DIR / "models")))
# The registered model that `POST /api/v1/predictions/` scores when no `?model=` is given.
DEFAULT_MODEL_NAME = env.str("DEFAULT_MODEL_NAME", default="loan-default")
# `bootstrap_demo` creates users with published passwords; only allowed where this is on.
DEMO_MODE = env.bool("DEMO_MODE", default=False)
# The demo's past (`monitoring.demo`) writes decisions dated in the past, marked as demo
# data; `predictions.demo.demo_decisions_backdate` refuses unless this is on. Not read from
# the environment: only the local and test settings turn it on, production never.
DEMO_BACKDATED_DECISIONS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs every successful login at INFO; lockouts and failures are WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Governance ----------------------------------------------------------------
# History is evidence: the admin shows it but never offers to revert to an old version.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Monitoring (drift, fairness, performance, incidents, retention) ---------
# README "Monitoring" describes each; `.env.example` lists the variables.
# Who hears about incidents: comma-separated addresses, and/or a Slack-compatible webhook.
MONITORING_NOTIFY_EMAILS = env.list("MONITORING_NOTIFY_EMAILS", default=[])
MONITORING_WEBHOOK_URL = env.str("MONITORING_WEBHOOK_URL", default="")
MONITORING_WEBHOOK_TIMEOUT = env.float("MONITORING_WEBHOOK_TIMEOUT", default=3.0)
# Public address of the portal, for links in notifications (e.g. https://portal.example.com).
MONITORING_PORTAL_URL = env.str("MONITORING_PORTAL_URL", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="loan-portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# e.g. smtp+tls://user:password@smtp.example.com:587; unset: Django's SMTP defaults (localhost:25).
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or None
# A mail server that does not answer must not hold a monitoring job.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Applicant inputs are removed from the decision log after this many days. 760 days keeps
# them a little over the 25 months Regulation B (ECOA, 12 CFR 1002.12) requires creditors
# to keep application records after notifying the decision.
DECISION_LOG_RETENTION_DAYS = env.int("DECISION_LOG_RETENTION_DAYS", default=760)

# --- Metrics ---------------------------------------------------------------------
# Zero-argument callables returning a prometheus_client collector, called on every scrape
# of /metrics (loanportal.metrics) besides the request and prediction counters.
PROMETHEUS_EXTRA_COLLECTORS = ["monitoring.metrics.monitoring_collector", "loanportal.views.readiness_collector"]

# Sealed audit (governance.sealing, docs/audit_ledger.md). The signing key is an Ed25519
# private key in a PEM file (`python manage.py generate_audit_signing_key --out PATH`);
# without one, sealing is refused and /ready/ says so. The checkpoint directory should be
# a write-once mount (an object-locked bucket) outside the database's reach.
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints"))
AUDIT_CHECKPOINT_WEBHOOK_URL = env.str("AUDIT_CHECKPOINT_WEBHOOK_URL", default="")
AUDIT_CHECKPOINT_WEBHOOK_TIMEOUT = env.float("AUDIT_CHECKPOINT_WEBHOOK_TIMEOUT", default=3.0)
# A record in no block that is older than the newest block by more than this is reported
# as forged; a younger one may be a transaction that committed after the last seal.
AUDIT_UNSEALED_GRACE_SECONDS = env.int("AUDIT_UNSEALED_GRACE_SECONDS", default=15 * 60)
# Create a missing signing key and checkpoint directory on first use (local and tests only).
AUDIT_CREATE_MISSING = False
