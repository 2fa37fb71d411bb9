"""REST API permission classes built on portal roles (group membership, no superuser bypass)."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from governance.roles import Role, user_roles


def roles_required(*roles: Role) -> type[BasePermission]:
    """A permission class that admits authenticated users holding any of `roles`."""

    class HasRole(BasePermission):
        message = f"This needs the role {' or '.join(roles)}."

        def has_permission(self, request: Request, view: Any) -> bool:
            return bool(user_roles(request.user) & set(roles))

    HasRole.__name__ = HasRole.__qualname__ = "Has" + "Or".join(r.name.title().replace("_", "") for r in roles)
    return HasRole
