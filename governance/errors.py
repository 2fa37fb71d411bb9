"""Refusals of the registry and workflow services."""

from loanportal.errors import Conflict, Refused, ServiceError


class WorkflowError(ServiceError):
    """A workflow action that did not happen; `message` is meant for a person."""


class WorkflowRefused(WorkflowError, Refused):
    """The actor may not do this, or a gate is not met."""


class WorkflowConflict(WorkflowError, Conflict):
    """The version is not in a state that allows the action, or another action won a race."""
