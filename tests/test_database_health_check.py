"""The per-request health check of a reused PostgreSQL connection (loanportal/postgresql):
no round trip while the session is open, and a dead session is still found and replaced."""

import time

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


class CursorCounter:
    """Stands in for a psycopg2 connection and counts the cursors opened on it."""

    def __init__(self, real):
        self.real = real
        self.cursors = 0

    @property
    def closed(self):
        return self.real.closed

    def fileno(self):
        return self.real.fileno()

    def cursor(self, *args, **kwargs):
        self.cursors += 1
        return self.real.cursor(*args, **kwargs)


@pytest.fixture
def session():
    """A second connection of the test database, apart from the test's transaction."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_an_open_session_is_usable_without_a_query(session):
    counter = CursorCounter(session.connection)
    session.connection = counter
    try:
        assert session.is_usable()
    finally:
        session.connection = counter.real
    assert counter.cursors == 0


def test_a_session_the_server_ended_is_not_usable_and_is_replaced(session):
    pid = session.connection.get_backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    deadline = time.monotonic() + 5
    while session.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's goodbye travels to the client's socket
    assert not session.is_usable()

    session.health_check_enabled, session.health_check_done = True, False
    session.close_if_health_check_failed()
    with session.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
