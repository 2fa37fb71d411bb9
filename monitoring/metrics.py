"""Prometheus gauges for monitoring, read from the database at scrape time.

For every version in production, from its latest finished runs:

* `loanportal_drift_psi{model,version,feature}`: PSI of each input field;
* `loanportal_score_psi{model,version}`: PSI of the model score;
* `loanportal_drift_window_end_timestamp_seconds{model,version}`: end of that drift window,
  so an alert can fire when drift stops being computed;
* `loanportal_fairness_adverse_impact_ratio{model,version,attribute,group}`: per judged group;
* `loanportal_fairness_min_adverse_impact_ratio{model,version,attribute}`;
* `loanportal_estimated_roc_auc{model,version}` and `loanportal_estimated_default_rate{model,version}`:
  the latest estimated-performance window's label-free estimates, beside
  `loanportal_validation_roc_auc{model,version}` so an alert can compare the two, and
  `loanportal_realized_roc_auc{model,version}`: the latest judged cohort's realized AUC;
* `loanportal_incidents_active{model,kind,severity}`: open and acknowledged incidents.

Registered through `PROMETHEUS_EXTRA_COLLECTORS`; a database error yields
`loanportal_monitoring_collector_up 0` instead of breaking the whole scrape.
"""

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from governance.selectors import production_versions

from .models import FINISHED_STATUSES, JobKind, RunStatus
from .rules import SCORE_SUBJECT
from .selectors import (
    drift_psi,
    estimated_performance,
    fairness_results,
    incident_counts_active,
    performance_cohorts,
    run_latest,
)

logger = logging.getLogger(__name__)


class MonitoringCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("loanportal_monitoring_collector_up", "Whether monitoring metrics could be read.")
        try:
            families = list(self._families())
        except DatabaseError:
            logger.exception("Could not read monitoring metrics")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        feature_psi = GaugeMetricFamily(
            "loanportal_drift_psi",
            "PSI of an input field in the latest drift window.",
            labels=["model", "version", "feature"],
        )
        score_psi = GaugeMetricFamily(
            "loanportal_score_psi", "PSI of the model score in the latest drift window.", labels=["model", "version"]
        )
        window_end = GaugeMetricFamily(
            "loanportal_drift_window_end_timestamp_seconds",
            "End of the latest completed drift window.",
            labels=["model", "version"],
        )
        group_ratio = GaugeMetricFamily(
            "loanportal_fairness_adverse_impact_ratio",
            "Approval rate of a judged group over the most favoured group's, latest fairness window.",
            labels=["model", "version", "attribute", "group"],
        )
        min_ratio = GaugeMetricFamily(
            "loanportal_fairness_min_adverse_impact_ratio",
            "Lowest adverse impact ratio of a judged group, latest fairness window.",
            labels=["model", "version", "attribute"],
        )
        estimated_auc = GaugeMetricFamily(
            "loanportal_estimated_roc_auc",
            "ROC-AUC estimated from the probabilities of the latest estimated-performance window (no outcomes).",
            labels=["model", "version"],
        )
        estimated_default_rate = GaugeMetricFamily(
            "loanportal_estimated_default_rate",
            "Default rate expected from the probabilities of the latest estimated-performance window.",
            labels=["model", "version"],
        )
        validation_auc = GaugeMetricFamily(
            "loanportal_validation_roc_auc", "Holdout ROC-AUC recorded at registration.", labels=["model", "version"]
        )
        realized_auc = GaugeMetricFamily(
            "loanportal_realized_roc_auc",
            "ROC-AUC of the latest judged cohort of the latest realized-performance run.",
            labels=["model", "version"],
        )
        for version in production_versions():
            labels = [version.registered_model.name, str(version.version)]
            validation_auc.add_metric(labels, version.metrics["roc_auc"])
            performance = run_latest(version=version, kind=JobKind.PERFORMANCE, statuses=(RunStatus.COMPLETED,))
            judged = performance_cohorts(run=performance).filter(judged=True) if performance else None
            latest_cohort = judged.order_by("-cohort_start").first() if judged is not None else None
            if latest_cohort is not None and latest_cohort.roc_auc is not None:
                realized_auc.add_metric(labels, latest_cohort.roc_auc)
            estimated = run_latest(version=version, kind=JobKind.ESTIMATED_PERFORMANCE, statuses=(RunStatus.COMPLETED,))
            for estimate in estimated_performance(runs=[estimated] if estimated else []):
                estimated_default_rate.add_metric(labels, estimate.expected_default_rate)
                if estimate.expected_roc_auc is not None:
                    estimated_auc.add_metric(labels, estimate.expected_roc_auc)
            drift = run_latest(version=version, kind=JobKind.DRIFT, statuses=(RunStatus.COMPLETED,))
            if drift is not None:
                window_end.add_metric(labels, drift.window_end.timestamp())
                for _, subject, value, _ in drift_psi(runs=[drift]):
                    if subject == SCORE_SUBJECT:
                        score_psi.add_metric(labels, value)
                    else:
                        feature_psi.add_metric([*labels, subject], value)
            fairness = run_latest(version=version, kind=JobKind.FAIRNESS, statuses=FINISHED_STATUSES)
            if fairness is not None:
                for result in fairness_results(runs=[fairness]):
                    if result.min_adverse_impact_ratio is not None:
                        min_ratio.add_metric([*labels, result.attribute], result.min_adverse_impact_ratio)
                    for group, row in result.groups.items():
                        if row["sufficient"] and row["adverse_impact_ratio"] is not None:
                            group_ratio.add_metric([*labels, result.attribute, group], row["adverse_impact_ratio"])
        yield from (
            feature_psi,
            score_psi,
            window_end,
            group_ratio,
            min_ratio,
            estimated_auc,
            estimated_default_rate,
            validation_auc,
            realized_auc,
        )

        active = GaugeMetricFamily(
            "loanportal_incidents_active", "Open and acknowledged incidents.", labels=["model", "kind", "severity"]
        )
        for row in incident_counts_active():
            active.add_metric(
                [row["model_version__registered_model__name"] or "", row["kind"], row["severity"]], row["n"]
            )
        yield active


def monitoring_collector() -> MonitoringCollector:
    return MonitoringCollector()
