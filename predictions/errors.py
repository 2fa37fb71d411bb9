"""Refusals of the prediction services."""

from loanportal.errors import Conflict, InvalidInput, NotFound, Refused, Unavailable


class InvalidApplication(InvalidInput):
    """The application (or batch) breaks the serving version's feature schema; `errors`
    says where: by field, or by index and then field."""


class UnknownModel(NotFound):
    pass


class NoProductionVersion(Unavailable):
    """The model is registered but nothing is in production: scoring with anything else
    would decide loans with an unapproved model."""


class ServingVersionChanged(Unavailable):
    """A promotion or rollback overtook the request; nothing was logged and it may be sent again."""


class DecisionNotFound(NotFound):
    pass


class InvalidOutcome(InvalidInput):
    pass


class OutcomeConflict(Conflict):
    """A different outcome is already recorded; outcomes are recorded once."""


class BackdatingRefused(Refused):
    """Backdated (demo) decisions were asked for where the settings do not allow them."""
