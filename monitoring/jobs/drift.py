"""The drift job: PSI and a chi-square test of every input field and of the model score,
against the frozen baseline of the run's version (`monitoring.psi`)."""

import numpy as np

from .. import rules
from ..models import DriftResult, MonitoringPolicy, MonitoringRun, RunStatus
from ..psi import ACT, WATCH, WindowHistogram, assess
from ..selectors import decision_vectors
from .base import Computed, policy_snapshot


def compute(run: MonitoringRun, policy: MonitoringPolicy) -> Computed:
    version = run.model_version
    names = [f["name"] for f in version.feature_schema["fields"]]
    features = version.baseline["features"]
    histogram = WindowHistogram([features[n] for n in names], version.baseline["score"])
    decision_vectors(version=version, window=run.window, consume=histogram.add)
    thresholds = policy_snapshot(policy, "psi_watch", "psi_act", "chi_square_alpha", "min_window_size")
    if histogram.rows < policy.min_window_size:
        return Computed(RunStatus.INSUFFICIENT_DATA, histogram.rows, {"policy": thresholds})

    computed = Computed(RunStatus.COMPLETED, histogram.rows, {})
    results: list[DriftResult] = []
    subjects = [
        *zip(names, (features[n] for n in names), histogram.field_counts, strict=True),
        (rules.SCORE_SUBJECT, version.baseline["score"], histogram.score_counts),
    ]
    for subject, spec, counts in subjects:
        assessment = assess(
            np.asarray(spec["counts"]),
            counts,
            watch=policy.psi_watch,
            act=policy.psi_act,
            alpha=policy.chi_square_alpha,
        )
        results.append(
            DriftResult(
                subject=subject,
                psi=assessment.psi,
                band=assessment.band,
                chi_square=assessment.chi_square,
                p_value=assessment.p_value,
                significant=assessment.significant,
                bins=spec["bins"],
                baseline_counts=[int(c) for c in spec["counts"]],
                current_counts=[int(c) for c in counts],
                baseline_shares=assessment.baseline_shares,
                current_shares=assessment.current_shares,
            )
        )
        breach = rules.drift_breach(
            subject=subject, psi=assessment.psi, alerting=assessment.alerting, act=policy.psi_act
        )
        if breach is not None:
            computed.breaches.append(breach)

    inputs = [r for r in results if r.subject != rules.SCORE_SUBJECT]
    score = results[-1]
    worst = max(inputs, key=lambda r: r.psi)
    computed.results = list(results)
    computed.summary = {
        "score_psi": score.psi,
        "score_band": score.band,
        "max_feature_psi": worst.psi,
        "max_feature": worst.subject,
        "bands": {band: [r.subject for r in inputs if r.band == band] for band in (WATCH, ACT)},
        "incidents": [b.subject for b in computed.breaches],
        "policy": thresholds,
    }
    return computed
