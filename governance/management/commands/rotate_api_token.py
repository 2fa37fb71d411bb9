from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from governance.management.users import portal_user
from governance.services import api_token_rotate


class Command(BaseCommand):
    help = (
        "Replace a user's API token and print the new one; the old token stops working within "
        "API_TOKEN_CACHE_SECONDS (default 5 s) on every web worker."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"New API token: {api_token_rotate(user=portal_user(options['username']))}")
