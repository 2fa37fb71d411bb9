"""Registry and workflow API: thin views over selectors and `model_version_transition`."""

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loanportal.authentication import signed_in_user
from loanportal.errors import InvalidInput
from loanportal.middleware import request_id
from loanportal.permissions import CanReadAuditProofs, CanReadRegistry, CanRequestRetraining
from loanportal.schema import refusal_responses

from .inventory import InventoryEntry, inventory_entries
from .ledger import key_id, public_key_pem
from .models import ModelVersion, RegisteredModel, Report, RetrainingTrigger
from .retraining.service import retraining_request
from .reviews import periodic_review_record
from .sealing.keys import audit_signing_key
from .sealing.selectors import audit_proof
from .selectors import model_version_details, model_version_list, registered_model_get, registered_model_list
from .serializers import (
    AuditProofQuerySerializer,
    AuditProofSerializer,
    AuditPublicKeySerializer,
    InventoryEntrySerializer,
    PeriodicReviewRequestSerializer,
    PeriodicReviewSerializer,
    RegisteredModelSerializer,
    ReportSerializer,
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


class InventoryList(generics.ListAPIView):
    """The model risk inventory: per model its tier, owner, production version, review
    clock (last validated, next review due, days overdue), active incidents by severity and
    the latest score PSI, lowest adverse impact ratio and realized ROC-AUC."""

    permission_classes = [CanReadRegistry]
    serializer_class = InventoryEntrySerializer

    def get_queryset(self) -> list[InventoryEntry]:  # type: ignore[override]
        return inventory_entries()


class PeriodicReviewCreate(APIView):
    # The service decides who may review (Model Validator, four-eyes) and says why not.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Record a periodic review of the model's production version",
        request=PeriodicReviewRequestSerializer,
        responses={
            201: PeriodicReviewSerializer,
            **refusal_responses(
                403,
                404,
                409,
                meanings={
                    403: "Refused: only a Model Validator who did not author, submit or approve the version.",
                    404: "No such registered model.",
                    409: "The model has no version in production.",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Satisfactory with findings",
                value={
                    "outcome": "satisfactory_with_findings",
                    "comment": "Annual revalidation: performance and stability within appetite.",
                    "findings": [
                        {
                            "type": "limitation",
                            "severity": "medium",
                            "owner": "Retail Credit Risk",
                            "description": "Thin-file applicants remain under-represented.",
                        }
                    ],
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request, name: str) -> Response:
        model = registered_model_get(name=name)
        if model is None:
            raise Http404(f"No registered model named {name!r}.")
        body = PeriodicReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = periodic_review_record(
            registered_model=model,
            reviewer=signed_in_user(request),
            outcome=body.validated_data["outcome"],
            comment=body.validated_data["comment"],
            findings=[dict(finding) for finding in body.validated_data["findings"]],
            request_id=request_id(request),
        )
        return Response(PeriodicReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ReportList(generics.ListAPIView):
    """Stored reports, newest first, with their SHA-256 and a download link."""

    permission_classes = [CanReadRegistry]
    serializer_class = ReportSerializer

    @extend_schema(
        parameters=[OpenApiParameter("model", str, description="Registered model name, e.g. loan-default.")],
        responses={200: ReportSerializer(many=True), **refusal_responses(400, meanings={400: "No such model."})},
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Report]:
        reports = Report.objects.select_related("registered_model", "version", "generated_by").defer("content", "data")
        name = self.request.query_params.get("model")
        if name is None:
            return reports
        model = registered_model_get(name=name)
        if model is None:
            message = f"No registered model named {name!r}."
            raise InvalidInput(message, {"model": message})
        return reports.filter(registered_model=model)


class ReportDownload(APIView):
    permission_classes = [CanReadRegistry]

    @extend_schema(
        summary="Download a report's PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The stored PDF.")},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        report = get_object_or_404(Report.objects.select_related("registered_model", "version"), pk=pk)
        response = HttpResponse(bytes(report.content), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
        response["X-Content-SHA256"] = report.sha256
        return response


class AuditPublicKey(APIView):
    """The public key the audit's block heads are signed with."""

    permission_classes = [CanReadRegistry]

    @extend_schema(summary="The sealed audit's Ed25519 public key", responses={200: AuditPublicKeySerializer})
    def get(self, request: Request) -> Response:
        public = audit_signing_key().public_key()
        body = {"algorithm": "Ed25519", "key_id": key_id(public), "public_key_pem": public_key_pem(public).decode()}
        return Response(body)


class AuditProof(APIView):
    """A sealed record's inclusion proof: record, leaf hash, Merkle path, signed block head."""

    permission_classes = [CanReadAuditProofs]

    @extend_schema(
        summary="Inclusion proof of one sealed audit record",
        parameters=[AuditProofQuerySerializer],
        responses={
            200: AuditProofSerializer,
            **refusal_responses(
                400,
                404,
                meanings={
                    400: "Unknown kind or malformed id.",
                    404: "No such record, or not sealed yet.",
                },
            ),
        },
    )
    def get(self, request: Request) -> Response:
        query = AuditProofQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(audit_proof(kind_name=query.validated_data["kind"], record_id=query.validated_data["id"]))
