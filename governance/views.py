"""Registry and workflow API: thin views over selectors and `model_version_transition`."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from loanportal.permissions import roles_required
from loanportal.schema import refusal_responses

from .models import ModelVersion, RegisteredModel, Transition
from .roles import STAFF_ROLES
from .serializers import (
    RegisteredModelSerializer,
    TransitionRequestSerializer,
    VersionDetailSerializer,
    VersionSummarySerializer,
)
from .services import model_version_transition

# Everyone who works in the portal may read the registry; API clients (loan origination
# systems) may not, since version details carry the audit trail.
CanReadRegistry = roles_required(*STAFF_ROLES)


def _versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("registered_model", "created_by")


class RegisteredModelList(generics.ListAPIView):
    """Registered models and the version each has in production."""

    permission_classes = [CanReadRegistry]
    serializer_class = RegisteredModelSerializer
    queryset = RegisteredModel.objects.prefetch_related("versions")


class RegisteredModelDetail(generics.RetrieveAPIView):
    permission_classes = [CanReadRegistry]
    serializer_class = RegisteredModelSerializer
    queryset = RegisteredModel.objects.prefetch_related("versions")
    lookup_field = "name"


class RegisteredModelVersionList(generics.ListAPIView):
    """A model's versions, newest first."""

    permission_classes = [CanReadRegistry]
    serializer_class = VersionSummarySerializer

    def get_queryset(self) -> QuerySet[ModelVersion]:
        model = get_object_or_404(RegisteredModel, name=self.kwargs["name"])
        return _versions().filter(registered_model=model).order_by("-version")


class VersionDetail(generics.RetrieveAPIView):
    """One version: metrics, schema, fairness, findings, waivers, baseline and its transitions."""

    permission_classes = [CanReadRegistry]
    serializer_class = VersionDetailSerializer

    def get_queryset(self) -> QuerySet[ModelVersion]:
        transitions = Transition.objects.select_related("actor").order_by("created_at", "id")
        return _versions().prefetch_related(Prefetch("transitions", queryset=transitions))


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
            actor=request.user,
            comment=body.validated_data["comment"],
            waivers=body.validated_data["waivers"],
            request_id=request.request_id,
        )
        version = VersionDetail().get_queryset().get(pk=pk)
        return Response(VersionDetailSerializer(version).data, status=status.HTTP_200_OK)
