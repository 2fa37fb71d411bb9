from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.errors import RetrainingError
from governance.models import RetrainingState, RetrainingTrigger
from governance.retraining.service import retraining_request, retraining_run_execute

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Retrain a model's production version now: labelled decisions plus the parent's training file (or "
        "--data), the candidate search, and the best candidate registered as a draft. Nothing is submitted "
        "or promoted. Exits 2 for bad input (nothing registered), 1 when the run failed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--model", required=True, help="Registered model name, e.g. loan-default.")
        parser.add_argument("--reason", required=True, help="Why the model is retrained (kept on the run).")
        parser.add_argument(
            "--data",
            default="",
            help="A labelled CSV with exactly the application fields and Status, used in place of the parent's "
            "training file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = retraining_request(
                model_name=options["model"],
                reason=options["reason"],
                trigger=RetrainingTrigger.COMMAND,
                data_path=options["data"],
            )
        except RetrainingError as error:
            raise CommandError(error.message, returncode=USAGE_ERROR) from None
        run = retraining_run_execute(run_id=run.pk)
        if run.state != RetrainingState.SUCCEEDED:
            raise CommandError(f"Retraining run #{run.pk} {run.state}: {run.failure}")
        comparison = run.comparison
        lines = [
            f"Retraining run #{run.pk} succeeded: {run.candidate} registered as a draft (parent {run.parent_version})."
        ]
        sources = run.data_summary["sources"]
        lines.append(
            f"Data: {sources['decisions']['rows']} labelled decisions "
            f"({sources['decisions']['inputs_removed_by_retention']} left out, inputs removed by retention), "
            f"{sources['training_file']['rows']} file rows; {sources['training_file']['note']}"
        )
        lines += [
            f"  {row['rank']}. {row['candidate']:<12} CV ROC-AUC {row['cv_roc_auc_mean']:.4f} "
            f"± {row['cv_roc_auc_std']:.4f}  "
            f"out-of-time {row['out_of_time_roc_auc']:.4f}  {row['training_seconds']:.1f} s"
            for row in run.leaderboard
        ]
        if "candidate_roc_auc" in comparison:
            lines.append(
                f"Champion vs candidate on {comparison['rows']} out-of-time decisions: ROC-AUC "
                f"{comparison['champion_roc_auc']:.4f} vs {comparison['candidate_roc_auc']:.4f}, difference "
                f"{comparison['difference']:+.4f} (95% CI {comparison['ci_95'][0]:+.4f} to "
                f"{comparison['ci_95'][1]:+.4f}, "
                f"DeLong p = {comparison['p_value']:.3g}); Brier {comparison['champion_brier']:.4f} vs "
                f"{comparison['candidate_brier']:.4f}"
            )
        self.stdout.write("\n".join(lines))
