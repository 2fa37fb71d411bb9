"""Registry and workflow API: thin views over selectors and `model_version_transition`."""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loanportal.authentication import signed_in_user
from loanportal.middleware import request_id
from loanportal.permissions import CanReadRegistry, CanRequestRetraining
from loanportal.schema import refusal_responses

from .models import ModelVersion, RegisteredModel, RetrainingTrigger
from .retraining.service import retraining_request
from .selectors import model_version_details, model_version_list, registered_model_get, registered_model_list
from .serializers import (
    RegisteredModelSerializer,
    RetrainingRunSerializer,
    RetrainRequestSerializer,
    TransitionRequestSerializer,
    VersionDetailSerializer,
    VersionSummarySerializer,
)
from .services import model_version_transition


class RegisteredModelList(generics.ListAPIView):
    """Registered models and the version each has in production."""

    permission_classes = [CanReadRegistry]
    serializer_class = RegisteredModelSerializer

    def get_queryset(self) -> QuerySet[RegisteredModel]:
        return registered_model_list(with_versions=True)


class RegisteredModelDetail(generics.RetrieveAPIView):
    permission_classes = [CanReadRegistry]
    serializer_class = RegisteredModelSerializer
    lookup_field = "name"

    def get_queryset(self) -> QuerySet[RegisteredModel]:
        return registered_model_list(with_versions=True)


class RegisteredModelVersionList(generics.ListAPIView):
    """A model's versions, newest first."""

    permission_classes = [CanReadRegistry]
    serializer_class = VersionSummarySerializer

    def get_queryset(self) -> QuerySet[ModelVersion]:
        model = registered_model_get(name=self.kwargs["name"])
        if model is None:
            raise Http404(f"No registered model named {self.kwargs['name']!r}.")
        return model_version_list(registered_model=model)


class VersionDetail(generics.RetrieveAPIView):
    """One version: metrics, schema, fairness, findings, waivers, baseline and its transitions."""

    permission_classes = [CanReadRegistry]
    serializer_class = VersionDetailSerializer

    def get_queryset(self) -> QuerySet[ModelVersion]:
        return model_version_details()


class VersionTransition(APIView):
    # The workflow service decides who may act and records every refusal, so the view
    # lets any authenticated user through to it.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Take a workflow action on a version",
        request=TransitionRequestSerializer,
        responses={
            200: VersionDetailSerializer,
            **refusal_responses(
                403,
                404,
                409,
                meanings={
                    403: "Refused: role, four-eyes review, a gate or a missing waiver. Recorded.",
                    404: "No such version.",
                    409: "The version's state does not allow the action, or another action won a race.",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Validate with waivers",
                value={
                    "comment": "Reviewed the development data and the leakage screen.",
                    "waivers": {
                        "TARGET_LEAKAGE_SEGMENT:credit_type:EQUI": "Known artifact of the vendor file; monitored."
                    },
                },
                request_only=True,
            ),
            OpenApiExample("Reject", value={"comment": "Threshold choice is not documented."}, request_only=True),
        ],
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        get_object_or_404(ModelVersion, pk=pk)
        body = TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        model_version_transition(
            version_id=pk,
            action=action,
            actor=signed_in_user(request),
            comment=body.validated_data["comment"],
            waivers=body.validated_data["waivers"],
            request_id=request_id(request),
        )
        version = model_version_details().get(pk=pk)
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_200_OK)


class ModelRetrain(APIView):
    """Start a retraining of the model's production version (Data Scientists)."""

    permission_classes = [CanRequestRetraining]

    @extend_schema(
        summary="Retrain a model's production version",
        request=RetrainRequestSerializer,
        responses={
            202: RetrainingRunSerializer,
            **refusal_responses(
                400,
                403,
                409,
                meanings={
                    400: "Unknown model, no version in production, or an empty reason. Nothing is started.",
                    403: "Only a Data Scientist may start a retraining.",
                    409: "A retraining of the model is already pending or running.",
                },
            ),
        },
        examples=[OpenApiExample("Retrain", value={"reason": "Credit policy changed in March."}, request_only=True)],
    )
    def post(self, request: Request, name: str) -> Response:
        body = RetrainRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = retraining_request(
            model_name=name,
            reason=body.validated_data["reason"],
            trigger=RetrainingTrigger.API,
            requested_by=signed_in_user(request),
            request_id=request_id(request),
            queue=True,
        )
        return Response(RetrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
