from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from governance.services import api_token_issue, portal_user_provision
from loanportal.roles import Role


def parse_role(value: str) -> Role:
    """Accept a role by name in any case, with spaces, hyphens or underscores."""
    wanted = value.replace("-", " ").replace("_", " ").strip().lower()
    for role in Role:
        if role.value.lower() == wanted:
            return role
    raise ArgumentTypeError(f"{value!r} is not a role; choose one of: {', '.join(r.value for r in Role)}")


class Command(BaseCommand):
    help = "Create a portal user (or add a role to an existing one); optionally print their API token."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            required=True,
            type=parse_role,
            help=f"One of: {', '.join(r.value for r in Role)} (case and separators are free).",
        )
        parser.add_argument("--password", help="Password for the admin (checked by the password validators).")
        parser.add_argument("--token", action="store_true", help="Print the user's API token, creating it if needed.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = portal_user_provision(
                username=options["username"], role=options["role"], password=options["password"]
            )
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        self.stdout.write(f"{user.get_username()} has the role {options['role'].value}.")
        if options["token"]:
            self.stdout.write(f"API token: {api_token_issue(user=user)}")
