"""Developer settings: the embedded defaults `make run` starts with."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Local only: production.py has no default and refuses to start without one.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-only-not-a-secret")
DEMO_BACKDATED_DECISIONS = True
DEMO_MODE = env.bool("DEMO_MODE", default=True)
# Plain copies for `make run`: compressing and hashing every admin and Swagger file took
# about 30 s of each start on two cores, and a local portal needs neither (production keeps
# base's CompressedManifestStaticFilesStorage). Unchanged files are not copied again.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# `make run` seals with a key created on first use under var/ (git-ignored).
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default=str(VAR_DIR / "audit_signing_key.pem"))
AUDIT_CREATE_MISSING = True
