"""The OpenAPI schema documents the refusals every endpoint can give, not only its successes.

drf-spectacular documents what a view's `extend_schema` names. The refusals that come from
DRF's machinery rather than the view (no token, a missing role, a malformed or oversized
body, an unknown id in the URL, a bad page `limit`, a throttled client) apply to whole families of endpoints,
and a client generated from the schema must be told about them: this schema class adds each
one, with the `{detail, errors}` body of `loanportal.exceptions`, to every operation it
applies to, unless the view documents that status itself with a more specific meaning.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

REFUSAL_MEANINGS = {
    400: "Invalid input (per-field `errors`), malformed JSON or duplicated keys; nothing was changed.",
    401: "No or unknown token: send `Authorization: Token <key>`.",
    403: "Your role does not allow this.",
    404: "No such object.",
    413: "The body is larger than the limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 16 MiB by default).",
    415: "The body is not `application/json`.",
    429: "Too many requests from this client; retry after `Retry-After` seconds.",
}


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal (`loanportal.exceptions`)."""

    detail = serializers.CharField()
    # A field named like `Serializer.errors`: DRF's metaclass takes declared fields off the class.
    errors = serializers.DictField(  # type: ignore[assignment]
        help_text="Per field (or per index, then field, for batches) what is wrong; empty when not about input."
    )


def refusal_responses(*statuses: int, meanings: dict[int, str] = REFUSAL_MEANINGS) -> dict[int, OpenApiResponse]:
    """`extend_schema(responses=...)` entries for refusals, with the error body."""
    return {status: OpenApiResponse(ErrorSerializer, description=meanings[status]) for status in statuses}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status, response in refusal_responses(*self._refusals()).items():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(response, str(status), direction=direction)
        return responses

    def _refusals(self) -> list[int]:
        statuses = []
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            statuses += [401, 403]
        if self.method in BODY_METHODS:
            statuses += [400, 413, 415]
        elif self._get_paginator() is not None:  # loanportal.pagination refuses a bad limit or offset
            statuses.append(400)
        if "{" in self.path:  # an id or name in the URL that may name nothing
            statuses.append(404)
        if self.view.get_throttles():
            statuses.append(429)
        return statuses
