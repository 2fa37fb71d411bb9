"""The data-quality job: per application field, what the scoring API refused in the window
and how the accepted applications compare with training (`monitoring.data_quality`).

Windows follow the drift job's rules (hourly, at least `min_window_size` applications,
accepted and refused together). One incident per field whose worst share breaches; it
shows example decision ids for accepted-application shares and refusal counts otherwise.
"""

from collections import Counter
from typing import Any

from .. import rules
from ..data_quality import ACCEPTED_SHARES, MISSING, AcceptedCounts, checks_json, field_quality
from ..models import DataQualityResult, MonitoringPolicy, MonitoringRun, RunStatus
from ..selectors import decision_examples, decision_vectors, refusal_rules_in_window
from .base import Computed, policy_snapshot


def compute(run: MonitoringRun, policy: MonitoringPolicy) -> Computed:
    version = run.model_version
    fields = version.feature_schema["fields"]
    accepted = AcceptedCounts(fields)
    decision_vectors(version=version, window=run.window, consume=accepted.add)
    refusals = refusal_rules_in_window(version=version, window=run.window)
    by_field: dict[str, Counter[str]] = {}
    for application in refusals:
        for field, rule in application.items():
            by_field.setdefault(field, Counter())[rule] += 1
    summary: dict[str, Any] = {
        "accepted": accepted.rows,
        "refused": len(refusals),
        "policy": policy_snapshot(policy, "data_quality_share_bound", "data_quality_alpha", "min_window_size"),
    }
    if accepted.rows + len(refusals) < policy.min_window_size:
        return Computed(RunStatus.INSUFFICIENT_DATA, accepted.rows + len(refusals), summary)

    computed = Computed(RunStatus.COMPLETED, accepted.rows + len(refusals), summary)
    baseline_n = int(version.training_data["rows"])
    for j, field in enumerate(fields):
        name = field["name"]
        rule_counts = dict(by_field.get(name, Counter()))
        refused_on_field = sum(1 for application in refusals if name in application)
        checks = field_quality(
            accepted=accepted.rows,
            refused=len(refusals),
            missing=int(accepted.missing[j]),
            out_of_range=int(accepted.out_of_range[j]),
            unseen=int(accepted.unseen[j]),
            refusals_by_rule=rule_counts,
            refused_on_field=refused_on_field,
            baseline_missing_share=float(field["missing_rate"]),
            baseline_n=baseline_n,
            bound=policy.data_quality_share_bound,
            alpha=policy.data_quality_alpha,
        )
        breached = {share: check for share, check in checks.items() if check.breached}
        computed.results.append(
            DataQualityResult(
                field=name,
                accepted=accepted.rows,
                refused=refused_on_field,
                refusals_by_rule=rule_counts,
                refusal_share=checks["refusal"].share,
                missing_share=checks[MISSING].share,
                baseline_missing_share=checks[MISSING].baseline_share,
                out_of_range_share=checks["out_of_range"].share,
                unseen_category_share=checks["unseen_category"].share,
                checks=checks_json(checks),
                breached=bool(breached),
            )
        )
        if not breached:
            continue
        share_name, worst = max(breached.items(), key=lambda item: item[1].jump)
        snapshot: dict[str, Any] = {"field": name, "share": share_name, "checks": checks_json(breached)}
        if share_name in ACCEPTED_SHARES:
            bounds = {} if share_name == MISSING else {"low": field["min"], "high": field["max"]}
            snapshot["example_decisions"] = decision_examples(version=version, window=run.window, field=name, **bounds)
        else:
            snapshot["refusal_counts"] = rule_counts
        computed.breaches.append(
            rules.data_quality_breach(
                field=name,
                share_name=share_name,
                share=worst.share,
                baseline_share=worst.baseline_share,
                p_value=worst.p_value,
                bound=policy.data_quality_share_bound,
                snapshot=snapshot,
            )
        )
    summary["breached_fields"] = [b.subject for b in computed.breaches]
    summary["incidents"] = [b.subject for b in computed.breaches]
    return computed
