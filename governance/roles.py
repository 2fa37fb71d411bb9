"""Portal roles. Each is a Django group created by a migration; a user acts in a role only
through membership. Superuser status grants no role: nobody bypasses four-eyes review."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    DATA_SCIENTIST = "Data Scientist"
    MODEL_VALIDATOR = "Model Validator"
    MODEL_APPROVER = "Model Approver"
    COMPLIANCE_OFFICER = "Compliance Officer"
    API_CLIENT = "API Client"


# Roles that work in the admin; API clients only call the API.
STAFF_ROLES = (Role.DATA_SCIENTIST, Role.MODEL_VALIDATOR, Role.MODEL_APPROVER, Role.COMPLIANCE_OFFICER)


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._portal_roles = cached
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, role: Role) -> bool:
    return role in user_roles(user)
