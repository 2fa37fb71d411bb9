"""What the PostgreSQL benchmarks share: Django set up for a measurement, and a database of
the benchmark's own, created for the run and dropped after it.

The database named in DATABASE_URL must not exist yet: a benchmark never writes into a
database it did not create.
"""

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loanportal.settings.test")  # DEBUG off: no query log
    import django

    django.setup()


def admin_connection(url: str) -> Any:
    """An autocommit connection to the server's `postgres` database, to create and drop."""
    import psycopg2

    connection = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    connection.autocommit = True
    return connection


@contextmanager
def benchmark_database(*, keep: bool, scratch_prefix: str) -> Iterator[str]:
    """Create the DATABASE_URL database (exit with a sentence if it is not a new PostgreSQL
    one), point MODEL_ARTIFACT_DIR at a scratch directory, and yield that directory; drop the
    database afterwards unless `keep`."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database that does not exist yet (the benchmark creates it).")
    name = urlsplit(url).path.lstrip("/")
    admin = admin_connection(url)
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone():
            sys.exit(f"Database {name!r} exists; the benchmark only uses a database it creates (and drops).")
        cursor.execute(f'CREATE DATABASE "{name}"')
    scratch = tempfile.TemporaryDirectory(prefix=scratch_prefix)
    os.environ["MODEL_ARTIFACT_DIR"] = scratch.name
    try:
        yield scratch.name
    finally:
        scratch.cleanup()
        if not keep:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
