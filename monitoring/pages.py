"""What the admin monitoring page of one model version shows, charts included."""

from typing import Any

from governance.models import ModelVersion

from . import charts
from .models import Comparison, JobKind, MonitoringPolicy, MonitoringRun, RunStatus
from .rules import SCORE_SUBJECT
from .selectors import (
    comparisons_of_version,
    data_quality_results,
    drift_psi,
    drift_result,
    estimated_performance,
    estimation_backtest,
    fairness_results,
    incidents_of_version,
    performance_cohorts,
    runs_for_version,
)

DRIFT_WINDOWS = 48  # two days of hourly windows
FAIRNESS_WINDOWS = 30
ESTIMATION_WINDOWS = 60  # two months of daily windows
DATA_QUALITY_WINDOWS = 48  # two days of hourly windows
SHARES = (
    ("refusal", "refused"),
    ("missing", "missing"),
    ("out_of_range", "out of range"),
    ("unseen_category", "unseen"),
)
INCIDENTS = 100


def _window_label(run: MonitoringRun) -> str:
    return f"{run.window_end:%m-%d %H:%M}"


def insufficient_data(run: MonitoringRun) -> str:
    """What a chart says for a window with too few decisions to judge."""
    return f"insufficient data: {run.rows} decision{'' if run.rows == 1 else 's'}"


def _drift_charts(version: ModelVersion, policy: MonitoringPolicy) -> dict[str, str | None]:
    runs = runs_for_version(version=version, kind=JobKind.DRIFT, limit=DRIFT_WINDOWS)
    if not runs:
        return {"drift_heatmap": None, "score_psi": None, "score_distribution": None}
    columns = [_window_label(r) for r in runs]
    position = {r.pk: j for j, r in enumerate(runs)}
    subjects = [f["name"] for f in version.feature_schema["fields"]] + [SCORE_SUBJECT]
    row_of = {s: i for i, s in enumerate(subjects)}
    values: list[list[float | None]] = [[None] * len(runs) for _ in subjects]
    bands: list[list[str | None]] = [[None] * len(runs) for _ in subjects]
    for run_id, subject, psi, band in drift_psi(runs=runs):
        values[row_of[subject]][position[run_id]] = psi
        bands[row_of[subject]][position[run_id]] = band
    notes = [insufficient_data(r) if r.status == RunStatus.INSUFFICIENT_DATA else None for r in runs]
    completed = [r for r in runs if r.status == RunStatus.COMPLETED]
    overlay = "" if completed else insufficient_data(runs[-1])
    heatmap = charts.heatmap(
        title="PSI per input field and the model score, by window end (UTC; grey: no result)",
        rows=subjects,
        columns=columns,
        values=values,
        bands=bands,
        column_notes=notes,
        overlay=overlay,
    )
    score_line = charts.line_chart(
        title="PSI of the model score and of the most drifted input, by window end (UTC)",
        x_labels=columns,
        series=[
            ("score", values[row_of[SCORE_SUBJECT]]),
            ("worst input", [r.summary.get("max_feature_psi") for r in runs]),
        ],
        references=[(policy.psi_watch, f"watch {policy.psi_watch:g}"), (policy.psi_act, f"act {policy.psi_act:g}")],
        overlay=overlay,
    )
    latest = next((r for r in reversed(runs) if r.status == RunStatus.COMPLETED), None)
    distribution = None
    if latest is not None:
        score = drift_result(run=latest, subject=SCORE_SUBJECT)
        distribution = charts.paired_bars(
            title=(
                f"Score distribution: baseline vs window ending {latest.window_end:%Y-%m-%d %H:%M} UTC "
                f"({latest.rows} decisions)"
            ),
            labels=score.bins,
            first=score.baseline_shares,
            second=score.current_shares,
            names=("baseline (holdout)", "current window"),
        )
    return {"drift_heatmap": heatmap, "score_psi": score_line, "score_distribution": distribution}


def _fairness_charts(version: ModelVersion, policy: MonitoringPolicy) -> list[str]:
    runs = runs_for_version(version=version, kind=JobKind.FAIRNESS, limit=FAIRNESS_WINDOWS)
    if not runs:
        return []
    columns = [_window_label(r) for r in runs]
    position = {r.pk: j for j, r in enumerate(runs)}
    by_attribute: dict[str, dict[str, list[float | None]]] = {}
    for result in fairness_results(runs=runs):
        lines = by_attribute.setdefault(result.attribute, {})
        for group, row in result.groups.items():
            if row["sufficient"]:
                lines.setdefault(group, [None] * len(runs))[position[result.run_id]] = row["adverse_impact_ratio"]
    return [
        charts.line_chart(
            title=f"Adverse impact ratio by {attribute} group (judged groups), by window end (UTC)",
            x_labels=columns,
            series=sorted(lines.items()),
            references=[(policy.adverse_impact_floor, f"floor {policy.adverse_impact_floor:g}")],
            y_max=1.05,
        )
        for attribute, lines in sorted(by_attribute.items())
    ]


def _performance_charts(version: ModelVersion, policy: MonitoringPolicy) -> list[str]:
    runs = runs_for_version(version=version, kind=JobKind.PERFORMANCE, limit=1)
    if not runs:
        return []
    cohorts = list(performance_cohorts(run=runs[0]))
    labels = [str(c.cohort_start) for c in cohorts]
    validation_auc = version.metrics["roc_auc"]
    return [
        charts.line_chart(
            title=f"ROC-AUC by {policy.cohort_period} cohort (decisions with recorded outcomes)",
            x_labels=labels,
            series=[("cohort AUC", [c.roc_auc for c in cohorts])],
            references=[
                (validation_auc, f"validation {validation_auc:.3f}"),
                (
                    validation_auc - policy.auc_drop_tolerance,
                    f"incident below {validation_auc - policy.auc_drop_tolerance:.3f}",
                ),
            ],
            y_min=0.5,
            y_max=1.0,
        ),
        charts.line_chart(
            title=f"Observed default rate vs mean predicted probability by {policy.cohort_period} cohort",
            x_labels=labels,
            series=[
                ("observed", [c.default_rate for c in cohorts]),
                ("predicted", [c.mean_probability for c in cohorts]),
            ],
        ),
    ]


def _estimation_charts(version: ModelVersion, policy: MonitoringPolicy) -> list[str]:
    """The estimated AUC per window with its band, and the latest backtest: estimated vs
    realized AUC and default rate on the cohorts whose outcomes have matured."""
    runs = runs_for_version(version=version, kind=JobKind.ESTIMATED_PERFORMANCE, limit=ESTIMATION_WINDOWS)
    if not runs:
        return []
    validation_auc = version.metrics["roc_auc"]
    estimates = {e.run_id: e for e in estimated_performance(runs=runs)}
    bands = [estimates[r.pk].metrics.get("roc_auc") if r.pk in estimates else None for r in runs]
    out = [
        charts.line_chart(
            title="Estimated ROC-AUC (no outcomes) with its sampling-error band, by window end (UTC)",
            x_labels=[_window_label(r) for r in runs],
            series=[
                ("estimated AUC", [b["value"] if b else None for b in bands]),
                ("band low", [b["low"] if b else None for b in bands]),
                ("band high", [b["high"] if b else None for b in bands]),
            ],
            references=[
                (validation_auc, f"validation {validation_auc:.3f}"),
                (
                    validation_auc - policy.auc_drop_tolerance,
                    f"incident below {validation_auc - policy.auc_drop_tolerance:.3f}",
                ),
            ],
            y_min=0.5,
            y_max=1.0,
        )
    ]
    backtest = list(estimation_backtest(run=runs[-1]))
    if backtest:
        labels = [str(c.cohort_start) for c in backtest]
        out += [
            charts.line_chart(
                title="Backtest: estimated vs realized ROC-AUC of the matured cohorts",
                x_labels=labels,
                series=[
                    ("estimated", [c.estimated_roc_auc for c in backtest]),
                    ("realized", [c.realized_roc_auc for c in backtest]),
                ],
                y_min=0.5,
                y_max=1.0,
            ),
            charts.line_chart(
                title="Backtest: estimated vs realized default rate of the matured cohorts",
                x_labels=labels,
                series=[
                    ("estimated", [c.estimated_default_rate for c in backtest]),
                    ("realized", [c.realized_default_rate for c in backtest]),
                ],
            ),
        ]
    return out


def data_quality_anchor(field: str) -> str:
    """The id of a field's data-quality panel on the page (incident lists link to it)."""
    return f"data-quality-{field}"


def _data_quality_panels(version: ModelVersion, policy: MonitoringPolicy) -> list[dict[str, Any]]:
    """Per field: its shares over the recent windows, and the latest window's figures."""
    runs = runs_for_version(version=version, kind=JobKind.DATA_QUALITY, limit=DATA_QUALITY_WINDOWS)
    completed = [r for r in runs if r.status == RunStatus.COMPLETED]
    if not completed:
        return []
    columns = [_window_label(r) for r in completed]
    by_field: dict[str, list[Any]] = {}
    for j, run in enumerate(completed):
        for result in data_quality_results(run=run):
            by_field.setdefault(result.field, [None] * len(completed))[j] = result
    panels = []
    for field in (f["name"] for f in version.feature_schema["fields"]):
        results = by_field.get(field)
        if results is None:
            continue
        latest = results[-1]
        panels.append(
            {
                "field": field,
                "anchor": data_quality_anchor(field),
                "latest": latest,
                "chart": charts.line_chart(
                    title=f"{field}: shares by window end (UTC); missing against a baseline of "
                    f"{latest.baseline_missing_share if latest else 0:.3f}",
                    x_labels=columns,
                    series=[
                        (label, [r.checks[share]["share"] if r else None for r in results]) for share, label in SHARES
                    ],
                    references=[
                        (
                            (latest.baseline_missing_share if latest else 0) + policy.data_quality_share_bound,
                            "missing bound",
                        )
                    ],
                ),
            }
        )
    return panels


def version_monitoring(*, version: ModelVersion, policy: MonitoringPolicy) -> dict[str, Any]:
    """Charts (inline SVG markup) and the incident list of one version."""
    return {
        **_drift_charts(version, policy),
        "fairness_charts": _fairness_charts(version, policy),
        "performance_charts": _performance_charts(version, policy),
        "estimation_charts": _estimation_charts(version, policy),
        "data_quality_panels": _data_quality_panels(version, policy),
        "incidents": incidents_of_version(version=version, limit=INCIDENTS),
        "comparisons": comparisons_of_version(version=version),
    }


def comparison_page(*, comparison: Comparison) -> dict[str, Any]:
    """The comparison page's charts and tables: the binned score scatter, the swap-set
    matrix, the outcome metrics, the groups under each model and the challenger's errors."""
    result = comparison.result
    champion, challenger = f"v{comparison.champion.version}", f"v{comparison.challenger.version}"
    scatter = charts.count_heatmap(
        title=f"Scores of the same decisions, binned on the champion baseline's deciles ({champion} rows, "
        f"{challenger} columns)",
        labels=result["score_bins"],
        counts=result["score_joint_counts"],
        axes=(champion, challenger),
    )
    swaps = [
        ("approve", result["both_approve"], result["champion_approve_challenger_decline"]),
        ("decline", result["champion_decline_challenger_approve"], result["both_decline"]),
    ]
    groups = [
        {"attribute": attribute, "group": group, **row}
        for attribute, by_attribute in result["fairness"].items()
        for group, row in by_attribute["groups"].items()
    ]
    return {"result": result, "scatter": scatter, "swaps": swaps, "groups": groups}
