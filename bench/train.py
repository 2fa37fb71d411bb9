"""Training benchmark: the reference pipeline on the real Loan Default file.

    .venv/bin/python bench/train.py [--data ../shared/data/loan_default.csv] [--search-trials N] [--search-seconds S]

Prints training time (candidate search included), the process's peak memory, the search
(trials run, seconds, the leaderboard) and the holdout metrics of the registered
candidate (stratified 80/20 split), each beside its target.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from governance.ml.dataset import load_dataset  # noqa: E402
from governance.ml.search import DEFAULT_SECONDS, DEFAULT_TRIALS, SearchBudget  # noqa: E402
from governance.ml.training import train  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "loan_default.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--search-trials", type=int, default=DEFAULT_TRIALS)
    parser.add_argument("--search-seconds", type=float, default=DEFAULT_SECONDS)
    args = parser.parse_args()

    dataset = load_dataset(args.data)
    result = train(
        dataset,
        seed=args.seed,
        protected_attributes=["Gender", "age"],
        min_auc=0.75,
        fairness_min_group_size=100,
        search=SearchBudget(trials=args.search_trials, seconds=args.search_seconds),
    )
    experiment = result.experiment
    search = experiment["search"]
    m = result.metrics
    print(f"data                 {dataset.path} ({len(dataset.frame)} rows, holdout {m['n_rows']})")
    print(f"training time        {result.training_seconds:8.1f} s     target <= 60 s (candidate search included)")
    budget = search["budget"]
    print(f"  candidate search   {search['seconds_used']:8.1f} s     budget {budget['seconds']:g} s")
    print(f"  trials run         {search['trials_run']:8d}       budget {budget['trials']}: {search['stopped']}")
    print(
        f"peak memory (RSS)    {experiment['peak_memory']['peak_rss_mb']:8.0f} MB    "
        "(whole process, data loading included)"
    )
    print(f"holdout ROC-AUC      {m['roc_auc']:8.4f}       target >= 0.90 (reference forest 0.891)")
    print(f"holdout F1           {m['f1']:8.4f}       reference forest 0.734")
    print(f"holdout accuracy     {m['accuracy']:8.4f}       reference forest 0.880")
    print(f"Gini / KS            {m['gini']:.4f} / {m['ks']:.4f}")
    print(f"Brier / log loss     {m['brier']:.4f} / {m['log_loss']:.4f}")
    rounds = f" ({m['boosting_rounds']} boosting rounds)" if "boosting_rounds" in m else ""
    print(f"threshold            {result.threshold:.4f}{rounds}")
    high = [f["id"] for f in result.findings if f["severity"] == "high"]
    print(f"high findings        {', '.join(high)}")
    print(f"leaderboard          ({search['cv']['folds']}-fold stratified CV: {search['rows']})")
    print("  rank candidate     CV ROC-AUC mean   sd      holdout  seconds  parameters")
    for row in experiment["leaderboard"]:
        if row["kind"] == "lightgbm":
            params = ", ".join(f"{name} {value:.4g}" for name, value in row["params"].items())
        else:
            params = "median imputation + missing indicators, one-hot, scaling, L2 C=1"
        print(
            f"  {row['rank']:>4} {row['candidate']:<14} {row['cv_roc_auc_mean']:.4f}         "
            f"{row['cv_roc_auc_std']:.4f}  {row['holdout_roc_auc']:.4f}   {row['training_seconds']:6.1f}  {params}"
        )


if __name__ == "__main__":
    main()
