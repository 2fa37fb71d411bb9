"""Refusals of the monitoring services: windows, registered models, incident actions."""

from loanportal.errors import Conflict, InvalidInput, NotFound, Refused, ServiceError


class MonitoringError(ServiceError):
    """A monitoring request that did not happen; `message` is meant for a person."""


class WindowError(MonitoringError, InvalidInput):
    """A window that cannot be monitored; `errors` names the request field at fault."""


class UnknownModel(MonitoringError, NotFound):
    """No registered model of the name a job was asked to run for."""


class IncidentError(MonitoringError):
    """An incident action that did not happen."""


class IncidentRefused(IncidentError, Refused):
    """The actor may not work incidents."""


class IncidentConflict(IncidentError, Conflict):
    """The incident's status does not allow the action."""


class IncidentNoteRequired(IncidentError, InvalidInput):
    """Resolving an incident needs a note saying what was found and done."""


class ComparisonRefused(MonitoringError, InvalidInput):
    """A comparison that cannot be made as asked; `errors` names the request field at fault."""
