"""Monitoring API: results of the jobs, on-demand drift, incidents.

Reading is for Data Scientists, Model Validators, Model Approvers and Compliance
Officers; running drift and working incidents for the first three. No role: 403; no
credentials: 401.
"""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.models import RegisteredModel
from governance.selectors import registered_model_get
from loanportal.authentication import signed_in_user
from loanportal.middleware import request_id
from loanportal.pagination import query_int
from loanportal.permissions import CanUseMonitoring
from loanportal.schema import refusal_responses

from .comparisons import comparison_queue, comparison_request_check
from .incidents import incident_acknowledge, incident_resolve
from .models import FINISHED_STATUSES, Incident, JobKind, Trigger
from .runs import monitoring_window_request
from .selectors import comparisons_of_model, incident_list, incidents_with_people, runs_for_model
from .serializers import (
    ComparisonRunRequestSerializer,
    ComparisonSerializer,
    DriftRunRequestSerializer,
    IncidentActionSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    RunDetailSerializer,
    RunSerializer,
)

HISTORY_LIMIT, HISTORY_LIMIT_MAX = 100, 1000
UNKNOWN_MODEL = "No registered model of that name."


def _model_name(name: str | None) -> str:
    return name or settings.DEFAULT_MODEL_NAME


def _registered_model(name: str | None) -> RegisteredModel:
    registered_model = registered_model_get(name=_model_name(name))
    if registered_model is None:
        raise Http404(f"No registered model named {_model_name(name)!r}.")
    return registered_model


RESULTS_PARAMETERS = [
    OpenApiParameter("model", str, description="Registered model name (default: the portal's default model)."),
    OpenApiParameter("version", int, description="Only this version number."),
    OpenApiParameter(
        "limit", int, description=f"Runs in the history (default {HISTORY_LIMIT}, at most {HISTORY_LIMIT_MAX})."
    ),
]
RESULTS_RESPONSE = inline_serializer(
    "MonitoringResults",
    {
        "model": serializers.CharField(),
        "latest": RunDetailSerializer(allow_null=True),
        "history": RunSerializer(many=True),
    },
)


class RunResultsView(APIView):
    """Latest run (with its per-feature, per-group or per-cohort rows) and the history of runs."""

    permission_classes = [CanUseMonitoring]
    kind: JobKind = JobKind.DRIFT

    @extend_schema(
        parameters=RESULTS_PARAMETERS,
        responses={
            200: RESULTS_RESPONSE,
            **refusal_responses(
                400, 404, meanings={400: "`version` or `limit` is not a whole number in range.", 404: UNKNOWN_MODEL}
            ),
        },
    )
    def get(self, request: Request) -> Response:
        registered_model = _registered_model(request.query_params.get("model"))
        runs = runs_for_model(
            kind=self.kind,
            model_name=registered_model.name,
            version_number=query_int(request, "version", default=None),
        )
        history = list(runs[: query_int(request, "limit", default=HISTORY_LIMIT, maximum=HISTORY_LIMIT_MAX)])
        latest = next((r for r in history if r.status in FINISHED_STATUSES), None)
        return Response(
            {
                "model": registered_model.name,
                "latest": RunDetailSerializer(latest).data if latest else None,
                "history": RunSerializer(history, many=True).data,
            }
        )


class DriftRunView(APIView):
    """Run drift now for a window of whole hours. The work is queued: the answer is 202
    with the runs (pending), or 200 when every run of that window is already finished.
    Poll `GET /api/v1/monitoring/drift/?model=NAME` for the result."""

    permission_classes = [CanUseMonitoring]

    @extend_schema(
        request=DriftRunRequestSerializer,
        responses={
            202: inline_serializer(
                "DriftRunQueued", {"runs": RunSerializer(many=True), "results": serializers.CharField()}
            ),
            200: inline_serializer(
                "DriftRunDone", {"runs": RunDetailSerializer(many=True), "results": serializers.CharField()}
            ),
            **refusal_responses(404, meanings={404: UNKNOWN_MODEL}),
        },
    )
    def post(self, request: Request) -> Response:
        params = DriftRunRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        requested = monitoring_window_request(
            kind=JobKind.DRIFT,
            model_name=_model_name(params.validated_data.get("model")),
            hours=params.validated_data["window_hours"],
            end=params.validated_data.get("window_end"),
            trigger=Trigger.API,
            requested_by=signed_in_user(request),
            request_id=request_id(request),
        )
        results = f"{reverse('monitoring-drift')}?model={requested.registered_model.name}"
        if requested.unfinished:
            return Response(
                {"runs": RunSerializer(requested.runs, many=True).data, "results": results},
                status=status.HTTP_202_ACCEPTED,
            )
        return Response({"runs": RunDetailSerializer(requested.runs, many=True).data, "results": results})


class ComparisonListView(APIView):
    """A model's stored champion-versus-challenger comparisons, newest first."""

    permission_classes = [CanUseMonitoring]

    @extend_schema(
        parameters=[
            RESULTS_PARAMETERS[0],
            OpenApiParameter("challenger", int, description="Only comparisons of this challenger version id."),
            OpenApiParameter(
                "limit", int, description=f"Comparisons listed (default {HISTORY_LIMIT}, at most {HISTORY_LIMIT_MAX})."
            ),
        ],
        responses={
            200: inline_serializer(
                "Comparisons", {"model": serializers.CharField(), "comparisons": ComparisonSerializer(many=True)}
            ),
            **refusal_responses(
                400, 404, meanings={400: "`challenger` or `limit` is not a whole number in range.", 404: UNKNOWN_MODEL}
            ),
        },
    )
    def get(self, request: Request) -> Response:
        registered_model = _registered_model(request.query_params.get("model"))
        comparisons = comparisons_of_model(
            model_name=registered_model.name, challenger_id=query_int(request, "challenger", default=None)
        )
        limit = query_int(request, "limit", default=HISTORY_LIMIT, maximum=HISTORY_LIMIT_MAX)
        return Response(
            {"model": registered_model.name, "comparisons": ComparisonSerializer(comparisons[:limit], many=True).data}
        )


class ComparisonRunView(APIView):
    """Replay a challenger over the production version's decisions in a period (default: the
    last 24 months). Queued: 202; 200 with the stored comparison when that period is done."""

    permission_classes = [CanUseMonitoring]

    @extend_schema(
        request=ComparisonRunRequestSerializer,
        responses={
            202: inline_serializer(
                "ComparisonQueued", {"status": serializers.CharField(), "results": serializers.CharField()}
            ),
            200: ComparisonSerializer,
            **refusal_responses(400, meanings={400: "Unknown model or version, or a period that cannot be compared."}),
        },
    )
    def post(self, request: Request) -> Response:
        params = ComparisonRunRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        subject = comparison_request_check(
            model_name=params.validated_data["model"],
            challenger_id=params.validated_data["challenger"],
            start=params.validated_data.get("from"),
            end=params.validated_data.get("to"),
        )
        stored = comparison_queue(subject=subject, requested_by=signed_in_user(request), request_id=request_id(request))
        if stored is not None:
            return Response(ComparisonSerializer(stored).data)
        results = f"{reverse('monitoring-comparisons')}?model={subject.champion.registered_model.name}"
        return Response(
            {"status": "queued", "results": f"{results}&challenger={subject.challenger.pk}"},
            status=status.HTTP_202_ACCEPTED,
        )


class IncidentListView(generics.ListAPIView):
    """Incidents, most recently seen first; filter with `status`, `severity`, `kind`, `model`."""

    permission_classes = [CanUseMonitoring]
    serializer_class = IncidentSerializer

    @extend_schema(
        parameters=[IncidentFilterSerializer],
        responses={
            200: IncidentSerializer(many=True),
            **refusal_responses(400, meanings={400: "A filter or `limit`/`offset` is not a value it may take."}),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Incident]:
        # A plain dict: given the QueryDict, DRF would read `?status=` as no filter at all.
        filters = IncidentFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return incident_list(**filters.validated_data)


class IncidentDetailView(generics.RetrieveAPIView):
    permission_classes = [CanUseMonitoring]
    serializer_class = IncidentSerializer

    def get_queryset(self) -> QuerySet[Incident]:
        return incidents_with_people()


class IncidentActionView(APIView):
    """Acknowledge (note optional; you become the owner) or resolve (note required)."""

    permission_classes = [CanUseMonitoring]
    incident_action = "acknowledge"

    @extend_schema(
        request=IncidentActionSerializer,
        responses={
            200: IncidentSerializer,
            **refusal_responses(
                409, meanings={409: "The incident's status does not allow the action (e.g. it is already resolved)."}
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        params = IncidentActionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        get_object_or_404(Incident, pk=pk)
        note = params.validated_data["note"]
        if self.incident_action == "resolve":
            incident = incident_resolve(
                incident_id=pk, actor=signed_in_user(request), note=note, request_id=request_id(request)
            )
        else:
            incident = incident_acknowledge(
                incident_id=pk, actor=signed_in_user(request), note=note, request_id=request_id(request)
            )
        return Response(IncidentSerializer(incident).data)
