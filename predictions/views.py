"""The prediction API (README "Prediction API"). Views parse, call one service, render.

Every endpoint takes token authentication only (no session, so no CSRF), reads strict
JSON, answers JSON and is throttled per client. Scoring and outcomes need the API Client
role; reading a logged decision back, API Client (its own decisions) or Compliance Officer.
"""

import time
import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loanportal.authentication import PortalTokenAuthentication, signed_in_user
from loanportal.middleware import request_id
from loanportal.permissions import CanReadDecisions, CanScoreApplications
from loanportal.schema import refusal_responses
from loanportal.throttles import BatchRateThrottle, ClientRateThrottle

from . import examples
from .selectors import decision_get
from .serializers import (
    ApplicationSerializer,
    BatchRequestSerializer,
    BatchResponseSerializer,
    DecisionRecordSerializer,
    OutcomeBulkResponseSerializer,
    OutcomeBulkSerializer,
    OutcomeResponseSerializer,
    OutcomeSerializer,
    PredictionSerializer,
    decision_record_representation,
    outcome_representation,
    prediction_representation,
)
from .services import outcome_bulk_record, outcome_record, prediction_batch_create, prediction_create

MODEL_PARAMETER = OpenApiParameter(
    "model",
    str,
    description="Registered model to score with; its production version is used. Default: the portal's default model.",
)


def _errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return refusal_responses(*statuses, meanings=examples.ERROR_MEANINGS)


class ClientAPIView(APIView):
    # Loan origination systems call with a token; no browser session reaches scoring.
    authentication_classes = [PortalTokenAuthentication]
    throttle_classes = [ClientRateThrottle]
    permission_classes = [CanScoreApplications]


def _model_name(request: Request) -> str:
    return request.query_params.get("model") or settings.DEFAULT_MODEL_NAME


class PredictionCreateView(ClientAPIView):
    @extend_schema(
        operation_id="prediction_create",
        summary="Score one application",
        description=examples.PREDICTION_DESCRIPTION,
        parameters=[MODEL_PARAMETER],
        request=ApplicationSerializer,
        responses={201: PredictionSerializer, **_errors(400, 401, 403, 404, 413, 415, 429, 503)},
        examples=examples.PREDICTION_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        received_at = time.perf_counter()
        decision = prediction_create(
            model_name=_model_name(request),
            application=request.data,
            client=signed_in_user(request),
            request_id=request_id(request),
            received_at=received_at,
        )
        return Response(prediction_representation(decision), status=201)


class PredictionBatchView(ClientAPIView):
    throttle_classes = [BatchRateThrottle]

    @extend_schema(
        operation_id="prediction_batch_create",
        summary="Score up to 10,000 applications, all or nothing",
        description=examples.BATCH_DESCRIPTION,
        parameters=[MODEL_PARAMETER],
        request=BatchRequestSerializer,
        responses={201: BatchResponseSerializer, **_errors(400, 401, 403, 404, 413, 415, 429, 503)},
        examples=examples.BATCH_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        received_at = time.perf_counter()
        decisions = prediction_batch_create(
            model_name=_model_name(request),
            body=request.data,
            client=signed_in_user(request),
            request_id=request_id(request),
            received_at=received_at,
        )
        return Response({"results": [prediction_representation(d) for d in decisions]}, status=201)


class PredictionDetailView(ClientAPIView):
    permission_classes = [CanReadDecisions]

    @extend_schema(
        operation_id="prediction_retrieve",
        summary="Read a logged decision",
        description=examples.DETAIL_DESCRIPTION,
        responses={200: DecisionRecordSerializer, **_errors(401, 403, 404, 429)},
        examples=examples.DETAIL_EXAMPLES,
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        decision = decision_get(decision_id=pk, user=signed_in_user(request))
        if decision is None:
            raise NotFound(f"There is no prediction {pk} that you may see.")
        return Response(decision_record_representation(decision))


class OutcomeRecordView(ClientAPIView):
    @extend_schema(
        operation_id="prediction_outcome_record",
        summary="Record the observed outcome of a decision, once",
        description=examples.OUTCOME_DESCRIPTION,
        request=OutcomeSerializer,
        responses={
            201: OpenApiResponse(OutcomeResponseSerializer, description="Recorded."),
            200: OpenApiResponse(OutcomeResponseSerializer, description="The same outcome was already recorded."),
            **_errors(400, 401, 403, 404, 409, 413, 415, 429),
        },
        examples=examples.OUTCOME_EXAMPLES,
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome, created = outcome_record(decision_id=pk, recorded_by=signed_in_user(request), **body.validated_data)
        return Response(outcome_representation(outcome), status=201 if created else 200)


class OutcomeBulkView(ClientAPIView):
    throttle_classes = [BatchRateThrottle]

    @extend_schema(
        operation_id="outcome_bulk_record",
        summary="Record many outcomes, all or nothing",
        description=examples.OUTCOME_BULK_DESCRIPTION,
        request=OutcomeBulkSerializer,
        responses={201: OutcomeBulkResponseSerializer, **_errors(400, 401, 403, 409, 413, 415, 429)},
        examples=examples.OUTCOME_BULK_EXAMPLES,
    )
    def post(self, request: Request) -> Response:
        body = OutcomeBulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        counts: dict[str, Any] = outcome_bulk_record(
            outcomes=body.validated_data["outcomes"], recorded_by=signed_in_user(request)
        )
        return Response(counts, status=201)
