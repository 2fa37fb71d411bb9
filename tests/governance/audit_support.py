"""Helpers for the sealed-audit tests: a sealed portal and `verify_audit` as a user runs it."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.support import applications

from ..monitoring.support import WINDOW_START


def verify(*args: str) -> tuple[int, dict[str, Any]]:
    """(exit status, printed JSON) of `verify_audit`."""
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, json.loads(out.getvalue()) if out.getvalue() else {"error": str(error)}
    return 0, json.loads(out.getvalue())


def problems(result: dict[str, Any], kind: str) -> list[tuple[str, Any]]:
    return [(m["problem"], m.get("record_id", m.get("block"))) for m in result["kinds"][kind]["mismatches"]]


def log_some_decisions(log_decisions: Any, version: Any, count: int = 30, seed: int = 3) -> list[Any]:
    return log_decisions(
        version, applications(count, seed=seed), at=WINDOW_START, defaulted=[False, True] * (count // 2)
    )


@contextmanager
def behind_the_portals_back() -> Iterator[None]:
    """Act as the database superuser with the append-only triggers off (PostgreSQL's
    replica role skips them): what an insider or a restored, edited backup can do."""
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
