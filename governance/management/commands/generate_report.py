"""`python manage.py generate_report --version ID --kind validation|monitoring [--month YYYY-MM]`"""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from loanportal.errors import ServiceError

from ...models import ReportKind
from ...reports.services import report_generate

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Generates a version's validation report, or its ongoing monitoring report for a past calendar month, "
        "stores it once with its SHA-256 and prints its id, SHA-256 and size. The same data gives the same file."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # The option is --version (the version id); Django's own --version (its release) gives way.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--version", type=int, required=True, dest="version_id", help="Model version id.")
        parser.add_argument("--kind", required=True, choices=ReportKind.values)
        parser.add_argument("--month", help="YYYY-MM (monitoring reports only), e.g. 2026-11.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = report_generate(version_id=options["version_id"], kind=options["kind"], month=options["month"])
        except ServiceError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        self.stdout.write(f"Report #{report.pk}: {report} ({report.size} bytes, SHA-256 {report.sha256})")
