"""Refusals of the registry and workflow services."""

from loanportal.errors import Conflict, InvalidInput, Refused, ServiceError


class WorkflowError(ServiceError):
    """A workflow action that did not happen; `message` is meant for a person."""


class WorkflowRefused(WorkflowError, Refused):
    """The actor may not do this, or a gate is not met."""


class WorkflowConflict(WorkflowError, Conflict):
    """The version is not in a state that allows the action, or another action won a race."""


class RetrainingError(ServiceError):
    """A retraining that was not started; `message` is meant for a person."""


class RetrainingInvalid(RetrainingError, InvalidInput):
    """Unknown model, no production version, no reason, an unusable data file."""


class RetrainingRefused(RetrainingError, Refused):
    """The caller may not start a retraining."""


class RetrainingConflict(RetrainingError, Conflict):
    """A retraining of the model is already pending or running."""
