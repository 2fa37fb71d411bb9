"""Production settings: the deploy check passes, secrets are required, cookies are secure, CORS is closed."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

DOCUMENTED_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "loanportal.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def base_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}


def test_deploy_check_passes_without_warnings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**base_environment(), **DOCUMENTED_ENVIRONMENT}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**base_environment(), **DOCUMENTED_ENVIRONMENT}
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_cookies_are_secure_and_debug_is_off():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**base_environment(), **DOCUMENTED_ENVIRONMENT},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    debug, session_secure, csrf_secure, httponly, hsts, nosniff, frames = json.loads(result.stdout)
    assert (debug, session_secure, csrf_secure, httponly, nosniff, frames) == (False, True, True, True, True, "DENY")
    assert hsts >= 31536000


@pytest.mark.django_db
def test_cors_is_closed_by_default(client):
    origin = {"HTTP_ORIGIN": "https://evil.example.com"}
    preflight = client.options("/api/v1/models/", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST", **origin)
    response = client.get("/api/v1/models/", **origin)
    for answer in (preflight, response):
        assert "Access-Control-Allow-Origin" not in answer
        assert "Access-Control-Allow-Credentials" not in answer
