"""Refusals of the prediction services, each with the HTTP status the API answers."""

from rest_framework import status

from loanportal.exceptions import ServiceError


class InvalidApplication(ServiceError):
    """The application (or batch) breaks the serving version's feature schema; `errors`
    says where: by field, or by index and then field."""


class UnknownModel(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND


class NoProductionVersion(ServiceError):
    """The model is registered but nothing is in production: scoring with anything else
    would decide loans with an unapproved model."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class ServingVersionChanged(ServiceError):
    """A promotion or rollback overtook the request; nothing was logged and it may be sent again."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class DecisionNotFound(ServiceError):
    status_code = status.HTTP_404_NOT_FOUND


class InvalidOutcome(ServiceError):
    pass


class OutcomeConflict(ServiceError):
    """A different outcome is already recorded; outcomes are recorded once."""

    status_code = status.HTTP_409_CONFLICT
