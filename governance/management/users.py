"""What the user-administration commands share."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import CommandError


def portal_user(username: str) -> User:
    """The user named on the command line; a command error if there is none."""
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"There is no user {username!r}.") from exc
