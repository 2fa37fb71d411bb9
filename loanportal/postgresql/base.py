"""Django's PostgreSQL backend with a connection health check that costs no round trip.

With `CONN_HEALTH_CHECKS` Django checks a reused connection at the start of every request
by sending `SELECT 1` and waiting for the answer: one round trip to the database on every
prediction, whether or not anything is wrong (on the scoring path, a sixth of the time the
server spends on a request, and more where the database is on another host).

A healthy idle connection has nothing to read: PostgreSQL sends nothing between queries
unless it is ending the session. A server that shuts down, restarts, or terminates the
backend (`pg_terminate_backend`, `idle_session_timeout`) sends a FATAL message and closes
the socket, and a proxy or firewall that drops the connection closes or resets it; either
way the socket becomes readable. So the check first asks the kernel, without waiting,
whether anything has arrived; only then does it send Django's `SELECT 1`, which reads what
arrived and tells a dead connection from a stray notice. A peer that vanishes without a
word is not noticed here, as it was not before: `SELECT 1` would have waited for TCP too.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        poller = select.poll()
        poller.register(self.connection.fileno(), select.POLLIN | select.POLLPRI)
        if not poller.poll(0):
            return True  # nothing arrived since the last answer: the session is open
        return super().is_usable()
