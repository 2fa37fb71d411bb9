"""API errors: one JSON shape for every refusal, and the one place that gives each kind of
service error its HTTP status.

Every error response of the API has the body

    {"detail": "<one sentence for a person>", "errors": {<field or index>: <message>, ...}}

`errors` is empty unless the input was invalid. DRF's own exceptions (authentication,
permission, throttling with its `Retry-After` header, unsupported media type, parse
errors) are reshaped into it, so are services' `ServiceError`s (`loanportal.errors`), and
a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` becomes a 413 instead of Django's 400.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from .errors import Conflict, InvalidInput, NotFound, Refused, ServiceError, Unavailable

NON_FIELD_ERRORS = "non_field_errors"

# The status the API answers each kind of service error with; any other is a 400.
SERVICE_ERROR_STATUS: tuple[tuple[type[ServiceError], int], ...] = (
    (InvalidInput, status.HTTP_400_BAD_REQUEST),
    (Refused, status.HTTP_403_FORBIDDEN),
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Conflict, status.HTTP_409_CONFLICT),
    (Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is larger than this API accepts.")
    default_code = "payload_too_large"


def service_error_status(error: ServiceError) -> int:
    """The HTTP status the API answers `error` with: 400 unless it is of a kind above."""
    return next((code for kind, code in SERVICE_ERROR_STATUS if isinstance(error, kind)), status.HTTP_400_BAD_REQUEST)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (headers, rollback), with every body in the `detail`/`errors` shape."""
    # Imported here, not at the top: rest_framework.views builds APIView from the API
    # settings, whose default parser imports this module, a cycle at import time.
    from rest_framework.views import exception_handler

    if isinstance(exc, ServiceError):
        return Response({"detail": exc.message, "errors": exc.errors}, status=service_error_status(exc))
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {NON_FIELD_ERRORS: response.data}
        response.data = {"detail": "The request is invalid.", "errors": _one_message_per_field(errors)}
    else:
        response.data = {"detail": response.data.get("detail", ""), "errors": {}}
    return response


def _one_message_per_field(errors: Any) -> Any:
    """DRF's lists of messages as one string per field, indexes as string keys: the same
    shape as the scoring validator's errors."""
    if isinstance(errors, dict):
        return {str(key): _one_message_per_field(value) for key, value in errors.items()}
    if isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            return " ".join(errors)
        return {str(index): _one_message_per_field(item) for index, item in enumerate(errors) if item}
    return errors
