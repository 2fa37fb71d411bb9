"""Settings for pytest: SQLite unless DATABASE_URL is set, fast hashing, no .env."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

# The test settings are never deployed, so a fixed key is fine here (bandit B105).
SECRET_KEY = "test-only-not-a-secret"  # nosec B105
DEBUG = False
DEMO_BACKDATED_DECISIONS = True
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the apps: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests change tokens and roles between requests and expect the change at once.
API_TOKEN_CACHE_SECONDS = 0
# A signing key created on first use in the temporary directory, one per test process;
# tests that read checkpoints point AUDIT_CHECKPOINT_DIR at their own tmp_path.
_AUDIT_DIR = Path(tempfile.gettempdir()) / f"loanportal-test-audit-{os.getpid()}"
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default=str(_AUDIT_DIR / "audit_signing_key.pem"))
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default=str(_AUDIT_DIR / "checkpoints"))
AUDIT_CREATE_MISSING = True
