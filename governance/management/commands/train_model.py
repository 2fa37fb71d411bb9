from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.ml.dataset import DatasetError
from governance.models import ModelVersion
from governance.services import model_version_train, portal_user_provision
from loanportal.roles import Role

PIPELINE_USER = "training-pipeline"


class Command(BaseCommand):
    help = "Train a model version on a labelled CSV and register it as a draft."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--data", required=True, help="Labelled CSV in the Loan Default layout.")
        parser.add_argument("--name", default=settings.DEFAULT_MODEL_NAME, help="Registered model name.")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--author",
            default=PIPELINE_USER,
            help=f"Username recorded as the version's author (default: the {PIPELINE_USER} service account).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        author = portal_user_provision(username=options["author"], role=Role.DATA_SCIENTIST)
        try:
            version = model_version_train(
                data_path=options["data"], model_name=options["name"], seed=options["seed"], author=author
            )
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(describe_version(version))


def describe_version(version: ModelVersion) -> str:
    m = version.metrics
    lines = [
        f"Registered {version} as version id {version.pk} ({version.state}), threshold {version.threshold:.4f}.",
        f"Holdout ({m['n_rows']} rows): ROC-AUC {m['roc_auc']:.4f}  Gini {m['gini']:.4f}  KS {m['ks']:.4f}  "
        f"Brier {m['brier']:.4f}  log loss {m['log_loss']:.4f}",
        f"  at the threshold: precision {m['precision']:.4f}  recall {m['recall']:.4f}  F1 {m['f1']:.4f}  "
        f"accuracy {m['accuracy']:.4f}  confusion {m['confusion_matrix']}",
        "Validation findings:",
        *(f"  [{f['severity']}] {f['id']}: {f['message']}" for f in version.findings),
    ]
    return "\n".join(lines)
