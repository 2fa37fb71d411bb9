"""Estimation benchmark: the label-free performance estimate over 1,000,000 probabilities.

    .venv/bin/python bench/estimation.py [--rows 1000000]

No database: the estimator is pure numpy. Each measurement runs in a fresh Python process
that draws --rows probabilities of default (Beta(1.2, 5), a default rate near 19 %, fixed
seed), then times one `performance_estimate` call at threshold 0.3 (validation, the sort,
the expected ROC curve, the confusion matrix and every band). It reports the elapsed time
of that call and the process's peak resident memory (ru_maxrss: Python, numpy, scipy and
scikit-learn included; the RSS just before the call is shown too, so the call's own share
is visible). Three measurements; the worst is held against the targets: 1.5 s for the
estimate, and 500 MB, the whole estimation job's memory budget at 1,000,000 decisions.
"""

import argparse
import json

# Only to run this script's own measurement in a fresh process (bandit B404).
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

from drift import peak_rss_mb, rss_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS, TARGET_MB = 1.5, 500
THRESHOLD = 0.3
MEASUREMENTS = 3


def measure(rows: int) -> None:
    """Child process: one estimate over `rows` probabilities, and what it cost."""
    import numpy as np

    from monitoring.estimation import performance_estimate

    probability = np.random.default_rng(2026).beta(1.2, 5.0, rows)
    before = rss_mb()
    started = time.perf_counter()
    estimate = performance_estimate(probability=probability, threshold=THRESHOLD)
    seconds = time.perf_counter() - started
    if estimate.roc_auc is None:
        raise SystemExit("no expected AUC: every probability was 0 or every one was 1")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_rss_mb(),
                "before_mb": before,
                "roc_auc": [estimate.roc_auc.value, estimate.roc_auc.low, estimate.roc_auc.high],
                "default_rate": [estimate.default_rate.value, estimate.default_rate.low, estimate.default_rate.high],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.rows < 2:
        sys.exit("--rows must be at least 2.")
    if args.measure:
        measure(args.rows)
        return

    results = []
    for _ in range(MEASUREMENTS):
        # This interpreter, this file and an integer (bandit B603).
        child = subprocess.run(  # nosec B603
            [sys.executable, __file__, "--measure", "--rows", str(args.rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))

    auc, low, high = results[0]["roc_auc"]
    rate, rate_low, rate_high = results[0]["default_rate"]
    print(
        f"estimate             AUC {auc:.4f} [{low:.4f}, {high:.4f}]   "
        f"default rate {rate:.4f} [{rate_low:.4f}, {rate_high:.4f}] (95 % bands)"
    )
    for k, r in enumerate(results, 1):
        print(
            f"run {k}                {r['seconds']:6.2f} s  peak RSS {r['peak_mb']:5.0f} MB "
            f"(before the call {r['before_mb']:.0f} MB)  {args.rows:,} probabilities"
        )
    worst_seconds = max(r["seconds"] for r in results)
    worst_mb = max(r["peak_mb"] for r in results)
    verdict = "met" if worst_seconds <= TARGET_SECONDS and worst_mb <= TARGET_MB else "MISSED"
    print(f"estimate, worst of {MEASUREMENTS}  {worst_seconds:6.2f} s    target <= {TARGET_SECONDS:g} s")
    print(f"peak memory (RSS)    {worst_mb:6.0f} MB   target <= {TARGET_MB} MB")
    print(f"targets              {verdict}")


if __name__ == "__main__":
    main()
