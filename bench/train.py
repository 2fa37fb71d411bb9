"""Training benchmark: the reference pipeline on the real Loan Default file.

    .venv/bin/python bench/train.py [--data ../shared/data/loan_default.csv]

Prints training time, the process's peak memory and the holdout metrics (stratified
80/20 split), each beside its target.
"""

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from governance.ml.dataset import load_dataset  # noqa: E402
from governance.ml.training import train  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "loan_default.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    dataset = load_dataset(args.data)
    result = train(
        dataset, seed=args.seed, protected_attributes=["Gender", "age"], min_auc=0.75, fairness_min_group_size=100
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = result.metrics
    print(f"data                 {dataset.path} ({len(dataset.frame)} rows, holdout {m['n_rows']})")
    print(f"training time        {result.training_seconds:8.1f} s     target <= 60 s")
    print(f"peak memory (RSS)    {peak_mb:8.0f} MB    (whole process, data loading included)")
    print(f"holdout ROC-AUC      {m['roc_auc']:8.4f}       target >= 0.90 (reference forest 0.891)")
    print(f"holdout F1           {m['f1']:8.4f}       reference forest 0.734")
    print(f"holdout accuracy     {m['accuracy']:8.4f}       reference forest 0.880")
    print(f"Gini / KS            {m['gini']:.4f} / {m['ks']:.4f}")
    print(f"Brier / log loss     {m['brier']:.4f} / {m['log_loss']:.4f}")
    print(f"threshold            {result.threshold:.4f} ({m['boosting_rounds']} boosting rounds)")
    high = [f["id"] for f in result.findings if f["severity"] == "high"]
    print(f"high findings        {', '.join(high)}")


if __name__ == "__main__":
    main()
