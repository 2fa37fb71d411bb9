"""Request-wide plumbing: every request carries an id that audit records and logs share,
a database outage answers a JSON 503 instead of an error page, and every error under
`/api/` is JSON."""

import logging
import re
from collections.abc import Callable
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.request import Request

from .ids import uuid7

logger = logging.getLogger(__name__)

# A caller's id is echoed into audit rows, so only accept a short, plain token.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
DATABASE_RETRY_AFTER_SECONDS = 5


class RequestIdMiddleware:
    """Take `X-Request-ID` from the caller when it is well formed, otherwise mint one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        minted = supplied if _CLIENT_REQUEST_ID.match(supplied) else uuid7().hex
        request.request_id = minted  # type: ignore[attr-defined]  # read through `request_id()`
        response = self.get_response(request)
        response["X-Request-ID"] = minted
        return response


def request_id(request: HttpRequest | Request) -> str:
    """The id `RequestIdMiddleware` gave the request: what its audit records carry."""
    django_request = request._request if isinstance(request, Request) else request
    minted: str = django_request.request_id  # type: ignore[attr-defined]
    return minted


class DatabaseUnavailableMiddleware:
    """A database that is down or refusing work answers 503 with a JSON body, fast.

    PostgreSQL connections time out after `DATABASE_CONNECT_TIMEOUT` seconds (settings), and
    the transaction that would have logged a decision has rolled back, so the caller knows
    nothing was scored or recorded and may retry.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable for %s %s: %s", request.method, request.path, exception)
        return JsonResponse(
            {"detail": "The database is unavailable; nothing was recorded. Try again shortly.", "errors": {}},
            status=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )


API_PREFIX = "/api/"
# What an API client reads for the errors Django (not DRF) answers; any other status gets
# its standard phrase.
API_ERROR_DETAIL = {
    404: "Not found.",  # what DRF answers for an unknown id, so clients see one text
    500: "Internal server error; the error was logged.",
}


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return f"HTTP error {status}."


class ApiJsonErrorsMiddleware:
    """Under `/api/`, an error that Django answers instead of DRF becomes JSON in the API's
    `{detail, errors}` shape (`loanportal.exceptions`): an unknown URL or an id the URL
    pattern refuses (404), a method a plain Django view does not take (405), an uncaught
    exception (500), also when `DEBUG` shows its technical pages. DRF's own errors are JSON
    already and pass through; the admin and the other pages keep their HTML."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        if status == 405:
            detail = f'Method "{request.method}" not allowed.'
        else:
            detail = API_ERROR_DETAIL.get(status) or _status_phrase(status)
        reshaped = JsonResponse({"detail": detail, "errors": {}}, status=status)
        for header in ("Allow", "Retry-After", "X-Request-ID"):
            if header in response:
                reshaped[header] = response[header]
        return reshaped
