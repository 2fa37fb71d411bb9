"""Request-wide plumbing: every request carries an id that audit records and logs share."""

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# A caller's id is echoed into audit rows, so only accept a short, plain token.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    """Take `X-Request-ID` from the caller when it is well formed, otherwise mint one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request.request_id = supplied if _CLIENT_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
