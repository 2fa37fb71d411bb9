import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.errors import RetrainingError
from governance.retraining.service import production_version_of, retraining_check

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Evaluate the retraining triggers of a model's production version and print one JSON object: each "
        "trigger fired or not with its evidence, and the run a firing trigger started (queued for a worker) "
        "or recorded as skipped inside the cooldown."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--model", required=True, help="Registered model name, e.g. loan-default.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = production_version_of(options["model"])
        except RetrainingError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        self.stdout.write(json.dumps(retraining_check(version=version), sort_keys=True))
