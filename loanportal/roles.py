"""Portal roles and what each may do.

Each role is a Django group created by a migration (`governance` 0002); a user acts in a
role only through membership. Superuser status grants no role: nobody bypasses four-eyes
review. What a role may do outside the approval workflow is named here once, as a
`Capability`: the API permissions (`loanportal.permissions`), the admin and the services
all ask the capability. The workflow's steps, with their four-eyes rules, are in
`governance.workflow`.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.db import models

# Set on a user instance for the rest of its request (see `user_roles`).
_CACHE = "_portal_roles"


class Role(models.TextChoices):
    DATA_SCIENTIST = "Data Scientist"
    MODEL_VALIDATOR = "Model Validator"
    MODEL_APPROVER = "Model Approver"
    COMPLIANCE_OFFICER = "Compliance Officer"
    API_CLIENT = "API Client"


# Roles that work in the admin; API clients only call the API.
STAFF_ROLES = (Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER, Role.COMPLIANCE_OFFICER)


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The portal roles of `user`; none for an anonymous or inactive one. Read once per
    user instance (`loanportal.authentication` primes it from the token's query)."""
    if not user.is_authenticated or not user.is_active or not isinstance(user, PermissionsMixin):
        return set()
    cached: set[str] | None = user.__dict__.get(_CACHE)
    if cached is None:
        cached = roles_remember(user, user.groups.values_list("name", flat=True))
    return cached


def roles_remember(user: AbstractBaseUser, roles: Iterable[str]) -> set[str]:
    """Keep `roles` as the user's roles for the rest of this instance's life (a request)."""
    remembered = user.__dict__[_CACHE] = set(roles)
    return remembered


def roles_forget(user: AbstractBaseUser) -> None:
    """Drop the roles kept on this instance, after its groups changed."""
    user.__dict__.pop(_CACHE, None)


@dataclass(frozen=True)
class Capability:
    """Something the portal lets the holders of some roles do."""

    roles: tuple[Role, ...]

    def allows(self, user: AbstractBaseUser | AnonymousUser) -> bool:
        return bool(user_roles(user).intersection(self.roles))

    @property
    def holders(self) -> str:
        """The roles as a person reads them: "Model Validator or Model Approver"."""
        return " or ".join(self.roles)


# Everyone who works in the portal may use the admin and read the registry; API clients
# (loan origination systems) may not, since version details carry the audit trail.
USE_ADMIN = Capability(STAFF_ROLES)
READ_REGISTRY = Capability(STAFF_ROLES)
# A registered model's policy: AUC floor, threshold policy, protected attributes.
EDIT_MODEL_POLICY = Capability((Role.MODEL_APPROVER,))
# How often each risk tier is revalidated: model risk's (second line's) to set.
EDIT_REVIEW_POLICY = Capability((Role.MODEL_VALIDATOR, Role.MODEL_APPROVER))
# Scoring applications, and recording and reading back the outcomes of one's own decisions.
SCORE_APPLICATIONS = Capability((Role.API_CLIENT,))
# Reading a logged decision back: an API client its own, a compliance officer any.
READ_DECISIONS = Capability((Role.API_CLIENT, Role.COMPLIANCE_OFFICER))
# Every client's decisions, in the API and in the admin's decision log (applicants' personal data).
READ_ALL_DECISIONS = Capability((Role.COMPLIANCE_OFFICER,))
# A sealed audit record's inclusion proof (the record itself, for an examiner): compliance.
READ_AUDIT_PROOFS = Capability((Role.COMPLIANCE_OFFICER,))
# Monitoring results and incidents: compliance reads; API clients see nothing of monitoring.
READ_MONITORING = Capability((Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER, Role.COMPLIANCE_OFFICER))
# Running drift on demand, acknowledging and resolving incidents.
WORK_MONITORING = Capability((Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER))
# The bands and bounds incidents are judged against are second line's to set.
EDIT_MONITORING_POLICY = Capability((Role.MODEL_VALIDATOR, Role.MODEL_APPROVER))
# Starting a retraining of a model by hand (a trigger starts one on its own); the candidate
# is a draft that goes through the same four-eyes workflow.
REQUEST_RETRAINING = Capability((Role.DATA_SCIENTIST,))
