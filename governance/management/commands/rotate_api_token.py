from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from governance.services import api_token_rotate


def portal_user(username: str) -> Any:
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"There is no user {username!r}.") from exc


class Command(BaseCommand):
    help = (
        "Replace a user's API token and print the new one; the old token stops working within "
        "API_TOKEN_CACHE_SECONDS (default 5 s) on every web worker."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"New API token: {api_token_rotate(user=portal_user(options['username']))}")
