"""Modules import cleanly whatever is imported first (a gunicorn worker or a benchmark may
start from any of them)."""

import subprocess
import sys

import pytest
from django.conf import settings

FIRST_IMPORTS = [
    "loanportal.exceptions",
    "loanportal.parsers",
    "predictions.errors",
    "loanportal.authentication",
    "monitoring.runs",
    "monitoring.tasks",
]


@pytest.mark.parametrize("module", FIRST_IMPORTS)
def test_module_imports_first_in_a_fresh_interpreter(module):
    code = f"import django; django.setup(); import {module}; import rest_framework.views"
    env = {"DJANGO_SETTINGS_MODULE": "loanportal.settings.test", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
