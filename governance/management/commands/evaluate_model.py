import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.ml.artifact import ArtifactError
from governance.ml.dataset import DatasetError
from governance.models import ModelVersion
from governance.selectors import model_version_evaluate


class Command(BaseCommand):
    help = "Score a labelled CSV with a registered version and print its metrics as one JSON object."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version` names the model version, as operations scripts call it; it replaces
        # Django's own `--version` flag for this command.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--version", type=int, required=True, help="Model version id.")
        parser.add_argument("--data", required=True, help="Labelled CSV in the Loan Default layout.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = ModelVersion.objects.select_related("registered_model").get(pk=options["version"])
        except ModelVersion.DoesNotExist as exc:
            raise CommandError(f"There is no model version with id {options['version']}.") from exc
        try:
            metrics = model_version_evaluate(version=version, data_path=options["data"])
        except (DatasetError, ArtifactError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({"model": version.registered_model.name, "version": version.version, **metrics}))
