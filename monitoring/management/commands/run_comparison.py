"""`run_comparison`: replay a challenger over the production version's decisions now."""

import json
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from ...comparisons import comparison_create, comparison_request_check
from ...errors import MonitoringError
from ...models import Trigger

USAGE_ERROR = 2


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Command(BaseCommand):
    help = (
        "Scores every decision the model's production version made in the period with the challenger and prints "
        "the comparison as one JSON object (stored; a period already compared is printed as stored). Exits 2 with "
        "a sentence for an unknown model or version, a challenger of another model, the production version, or a "
        "period that is empty, reversed or in the future."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--model", required=True, help="Registered model name, e.g. loan-default.")
        parser.add_argument("--challenger", required=True, type=int, help="Id of the challenger model version.")
        parser.add_argument("--from", dest="start", type=_instant, help="Start, ISO 8601 with a time zone.")
        parser.add_argument(
            "--to",
            dest="end",
            type=_instant,
            help="End, ISO 8601 with a time zone (default: now; --from: 24 months before).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            subject = comparison_request_check(
                model_name=options["model"],
                challenger_id=options["challenger"],
                start=options["start"],
                end=options["end"],
            )
        except MonitoringError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        comparison = comparison_create(subject=subject, trigger=Trigger.COMMAND)
        self.stdout.write(json.dumps({"id": comparison.pk, **comparison.result}, cls=DjangoJSONEncoder, indent=2))
