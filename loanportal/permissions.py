"""DRF permissions by portal role (group membership, see `governance.roles`).

    permission_classes = [role_required(Role.API_CLIENT, Role.COMPLIANCE_OFFICER)]

An anonymous caller gets 401 (DRF turns a failed permission into `NotAuthenticated` when
no credentials were accepted); an authenticated user without one of the roles gets 403.
Superusers get no role for free. Roles are read once per request and cached on the user.
"""

from typing import Any

from rest_framework.permissions import BasePermission

from governance.roles import Role, has_role


class HasRole(BasePermission):
    """Allows users who hold at least one of `roles`; build with `role_required`."""

    roles: tuple[Role, ...] = ()

    def has_permission(self, request: Any, view: Any) -> bool:
        return any(has_role(request.user, role) for role in self.roles)


def role_required(*roles: Role) -> type[HasRole]:
    needed = " or ".join(f"the {role} role" for role in roles)
    return type("HasRole", (HasRole,), {"roles": roles, "message": f"This needs {needed}."})
