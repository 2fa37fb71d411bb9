from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.ml.dataset import DatasetError
from governance.ml.search import DEFAULT_SECONDS, DEFAULT_TRIALS, SearchBudget
from governance.models import ModelVersion
from governance.services import model_version_train, portal_user_provision
from loanportal.roles import Role

PIPELINE_USER = "training-pipeline"
# Exit status for a bad argument value, as argparse exits for a value it cannot parse at all.
USAGE_ERROR = 2


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
        parser.add_argument(
            "--search-trials",
            type=int,
            default=DEFAULT_TRIALS,
            help=f"LightGBM configurations to cross-validate, the reference one included (default {DEFAULT_TRIALS}).",
        )
        parser.add_argument(
            "--search-seconds",
            type=float,
            default=DEFAULT_SECONDS,
            help="Wall-clock seconds after which the search starts no further configuration "
            f"(default {DEFAULT_SECONDS:g}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            search = SearchBudget(trials=options["search_trials"], seconds=options["search_seconds"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from exc
        author = portal_user_provision(username=options["author"], role=Role.DATA_SCIENTIST)
        try:
            version = model_version_train(
                data_path=options["data"],
                model_name=options["name"],
                seed=options["seed"],
                author=author,
                search=search,
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
        f"accuracy {m['accuracy']:.4f}  confusion "
        + "  ".join(f"{cell.upper()} {m['confusion_matrix'][cell]}" for cell in ("tn", "fp", "fn", "tp")),
        *_search_lines(version.experiment),
        "Validation findings:",
        *(f"  [{f['severity']}] {f['id']}: {f['message']}" for f in version.findings),
    ]
    return "\n".join(lines)


def _search_lines(experiment: dict[str, Any]) -> list[str]:
    search = experiment["search"]
    return [
        f"Candidates ({search['cv']['folds']}-fold CV on the training part; {search['stopped']}, "
        f"{search['seconds_used']:.1f} s):",
        *(
            f"  {row['rank']}. {row['candidate']:<12} CV ROC-AUC {row['cv_roc_auc_mean']:.4f} "
            f"± {row['cv_roc_auc_std']:.4f}  holdout {row['holdout_roc_auc']:.4f}  {row['training_seconds']:.1f} s"
            f"{'  registered' if row['winner'] else ''}"
            for row in experiment["leaderboard"]
        ),
    ]
