from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from loanportal.database_roles import DatabaseRoleError, runtime_privileges_grant


class Command(BaseCommand):
    help = (
        "Give the runtime database role exactly its privileges on every table (SELECT and INSERT only on audit "
        "tables, plus the retention columns of the decision log; full DML elsewhere), revoking anything else. "
        "Run as the tables' owner after every migrate (README: 'Database roles')."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--role", required=True, help="The runtime role, e.g. portal_runtime.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            grants = runtime_privileges_grant(role=options["role"])
        except DatabaseRoleError as error:
            raise CommandError(str(error)) from None
        audit = sum(grant.privileges == ("SELECT", "INSERT") for grant in grants)
        self.stdout.write(
            f"Granted {options['role']} its runtime privileges on {len(grants)} tables "
            f"({audit} audit tables: SELECT and INSERT only)."
        )
