from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from governance.management.users import portal_user
from governance.services import api_token_revoke


class Command(BaseCommand):
    help = (
        "Delete a user's API token; API calls with it are refused within API_TOKEN_CACHE_SECONDS "
        "(default 5 s) on every web worker."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = portal_user(options["username"])
        revoked = api_token_revoke(user=user)
        self.stdout.write(
            f"Token of {user.get_username()} revoked." if revoked else f"{user.get_username()} had no token."
        )
