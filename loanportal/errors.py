"""The application's errors: what a service refuses, said for a person.

Every app's domain errors (`governance.errors`, `predictions.errors`, `monitoring.errors`)
subclass one of the kinds below; the API answers each kind with one status, decided in
`loanportal.exceptions` and nowhere else. Admin screens and commands show `message`.
No HTTP here: a service does not know who called it.
"""

from typing import Any


class ServiceError(Exception):
    """A refusal a service explains to its caller: a sentence and, for invalid input,
    messages keyed by field (or by index, then field, for batches)."""

    def __init__(self, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidInput(ServiceError):
    """What was sent cannot be used as it is; `errors` says where."""


class Refused(ServiceError):
    """The caller may not do this (role, four-eyes review, a gate)."""


class NotFound(ServiceError):
    """What the request names does not exist, or not for this caller."""


class Conflict(ServiceError):
    """The thing is not in a state that allows this, or something else changed it first."""


class Unavailable(ServiceError):
    """Not possible right now; the same request may succeed later."""
