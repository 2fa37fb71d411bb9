"""The shared core in `loanportal/` imports no app, so every app may import it.

`loanportal/` is both the project's wiring (settings, URLs, the Celery app, gunicorn, the
operations views) and the shared core the apps build on (errors, authentication,
permissions, ids, roles, audit and history bases, admin base, pagination, parsers,
renderers, serializer fields, throttles, task and metrics bases). Only the wiring puts
the apps together; a core module that imported an app would make that app's imports
circular the day the app imports the core.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

APPS = {"governance", "predictions", "monitoring"}
PACKAGE = Path(settings.BASE_DIR) / "loanportal"
# Modules that assemble the apps into a portal and may import them.
WIRING = {"__init__.py", "celery.py", "gunicorn.conf.py", "urls.py", "views.py", "wsgi.py"}
CORE = sorted(
    path
    for path in PACKAGE.rglob("*.py")
    if path.relative_to(PACKAGE).parts[0] != "settings" and str(path.relative_to(PACKAGE)) not in WIRING
)


def imported_packages(path: Path) -> set[str]:
    """Top-level packages of the absolute imports anywhere in the module."""
    packages = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
    return packages


def test_the_core_is_every_module_but_the_wiring():
    names = {str(path.relative_to(PACKAGE)) for path in CORE}
    assert {"errors.py", "roles.py", "permissions.py", "audit.py", "authentication.py"} <= names
    assert not names & WIRING


@pytest.mark.parametrize("path", CORE, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_a_core_module_imports_no_app(path):
    assert imported_packages(path) & APPS == set()
