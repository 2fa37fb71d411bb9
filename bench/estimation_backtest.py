"""Backtest of the label-free estimate on the real file's holdout: estimated vs realized.

    .venv/bin/python bench/estimation_backtest.py [--data /work/shared/data/loan_default.csv]

No database. Trains the reference pipeline on the file (seed 42, the default search budget,
a stratified 20 % holdout the model never sees) and scores the holdout through the
artifact as serving does. The holdout is then split at random into --cohorts equal parts,
standing in for cohorts whose outcomes have matured; for the whole holdout and each part
it prints the ROC-AUC and default rate estimated from the probabilities alone beside the
realized ones, and the error, against the issue's accuracy targets (|AUC error| <= 0.02,
|default-rate error| <= 1 percentage point).

When the holdout calibration error is above the bound, the estimate job uses the isotonic
recalibration registration fits on the holdout. Fitting and estimating on the same rows
would flatter it, so here the mapping is fitted on the other parts of the holdout than
the one it estimates (cross-fitting), and the raw estimate is printed too.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AUC_TARGET, RATE_TARGET = 0.02, 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "loan_default.csv"))
    parser.add_argument("--cohorts", type=int, default=4)
    args = parser.parse_args()
    if not Path(args.data).is_file():
        sys.exit(f"{args.data} is not a file.")
    if args.cohorts < 2:
        sys.exit("--cohorts must be at least 2.")

    from sklearn.metrics import roc_auc_score

    from governance.ml.calibration import holdout_calibration, isotonic_mapping_apply, isotonic_mapping_fit
    from governance.ml.dataset import load_dataset
    from governance.ml.fields import PROTECTED_ATTRIBUTES, TARGET
    from governance.ml.schema import Encoder
    from governance.ml.scorer import scorer_for_document
    from governance.ml.training import holdout_split, train
    from monitoring.estimation import performance_estimate

    dataset = load_dataset(args.data)
    result = train(
        dataset, seed=42, protected_attributes=list(PROTECTED_ATTRIBUTES), min_auc=0.75, fairness_min_group_size=100
    )
    frame = dataset.frame
    y_all = frame[TARGET].to_numpy(dtype=np.int64)
    rows = holdout_split(y_all, seed=42).holdout_rows
    encoder = Encoder(result.feature_schema)
    matrix = encoder.model_matrix(encoder.encode_frame(frame))[rows]
    p = scorer_for_document(result.document).probabilities(matrix)
    y = y_all[rows]
    calibration = holdout_calibration(y_true=y, probability=p)
    recalibrate = calibration["isotonic"] is not None
    parts = np.array_split(np.random.default_rng(2026).permutation(len(y)), args.cohorts)

    print(
        f"holdout              {len(y):,} applications, realized AUC {roc_auc_score(y, p):.4f}, "
        f"ECE {calibration['expected_calibration_error']:.4f} (bound {calibration['bound']:g}: "
        f"{'recalibrated, cross-fitted' if recalibrate else 'used as they are'})"
    )
    print(f"{'part':<10}{'n':>8}  {'AUC est':>8} {'real':>7} {'error':>8}   {'rate est':>8} {'real':>7} {'error':>8}")
    worst_auc = worst_rate = 0.0
    for name, part in [("holdout", np.arange(len(y)))] + [(f"cohort {k + 1}", q) for k, q in enumerate(parts)]:
        probability = p[part]
        if recalibrate and name != "holdout":
            others = np.setdiff1d(np.arange(len(y)), part)
            mapping = isotonic_mapping_fit(y_true=y[others], probability=p[others])
            probability = isotonic_mapping_apply(mapping=mapping, probability=probability)
        estimate = performance_estimate(probability=probability, threshold=result.threshold)
        if estimate.roc_auc is None:
            sys.exit(f"{name}: no expected AUC (every probability 0 or every one 1)")
        auc_error = estimate.roc_auc.value - roc_auc_score(y[part], p[part])
        rate_error = estimate.default_rate.value - y[part].mean()
        if name != "holdout":
            worst_auc, worst_rate = max(worst_auc, abs(auc_error)), max(worst_rate, abs(rate_error))
        print(
            f"{name:<10}{len(part):>8,}  {estimate.roc_auc.value:>8.4f} {roc_auc_score(y[part], p[part]):>7.4f} "
            f"{auc_error:>+8.4f}   {estimate.default_rate.value:>8.4f} {y[part].mean():>7.4f} {rate_error:>+8.4f}"
        )
    verdict = "met" if worst_auc <= AUC_TARGET and worst_rate <= RATE_TARGET else "MISSED"
    print(
        f"worst cohort error   AUC {worst_auc:.4f} (target <= {AUC_TARGET:g}), default rate {worst_rate:.4f} "
        f"(target <= {RATE_TARGET:g})"
    )
    print(f"targets              {verdict}")


if __name__ == "__main__":
    main()
