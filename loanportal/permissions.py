"""REST API permissions, one per capability of `loanportal.roles` (group membership, no
superuser bypass)."""

from typing import ClassVar

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from .roles import (
    READ_AUDIT_PROOFS,
    READ_DECISIONS,
    READ_MONITORING,
    READ_REGISTRY,
    REQUEST_RETRAINING,
    SCORE_APPLICATIONS,
    WORK_MONITORING,
    Capability,
)


class CapabilityPermission(BasePermission):
    """Admits authenticated users who hold one of the roles of `capability`."""

    capability: ClassVar[Capability]

    @property
    def message(self) -> str:
        return f"This needs the role {self.capability.holders}."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return self.capability.allows(request.user)


class CanReadRegistry(CapabilityPermission):
    capability = READ_REGISTRY


class CanScoreApplications(CapabilityPermission):
    capability = SCORE_APPLICATIONS


class CanReadDecisions(CapabilityPermission):
    capability = READ_DECISIONS


class CanRequestRetraining(CapabilityPermission):
    capability = REQUEST_RETRAINING


class CanReadAuditProofs(CapabilityPermission):
    capability = READ_AUDIT_PROOFS


class CanUseMonitoring(BasePermission):
    """Reading monitoring for safe methods; running jobs and working incidents for the rest."""

    message = "Your role does not give access to this monitoring resource."

    def has_permission(self, request: Request, view: APIView) -> bool:
        capability = READ_MONITORING if request.method in SAFE_METHODS else WORK_MONITORING
        return capability.allows(request.user)
