"""Operations can load deploy/prometheus/alerts.yml and deploy/grafana/portal.json as they
are: the rules pass promtool's checks and their unit tests, and every metric the rules and
the dashboard query is one the portal exports.

The promtool tests skip where promtool is not installed, except with REQUIRE_PROMTOOL=1
(set in .ci/run), where its absence fails them: CI must run them.
"""

import json
import os
import re
import shutil

# promtool, run on the repository's own rule files (bandit B404/B603).
import subprocess  # nosec B404
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils.module_loading import import_string
from prometheus_client import REGISTRY

from loanportal import metrics as web_metrics

DEPLOY = Path(settings.BASE_DIR) / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "portal.json"
METRIC = re.compile(r"\bloanportal_[a-z_]+")
# Series of the time-series family types, as Prometheus scrapes them.
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created")}
ALERTS = {
    "LoanportalApi5xxRatioHigh",
    "LoanportalScoringP99LatencyHigh",
    "LoanportalNotReady",
    "LoanportalRefusalSpike",
    "LoanportalDriftStale",
    "LoanportalScorePsiActBand",
    "LoanportalAdverseImpactRatioLow",
    "LoanportalSevereIncidentsActive",
    "LoanportalEstimatedAucDrop",
}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("REQUIRE_PROMTOOL") == "1":
            pytest.fail("REQUIRE_PROMTOOL=1 but promtool is not installed (Debian package prometheus)")
        pytest.skip("promtool is not installed (Debian package prometheus)")
    return path


def exported_series() -> set[str]:
    """Every series name /metrics can carry: the web process's metrics (`loanportal.metrics`,
    registered in the default registry on import) and the collectors'."""
    assert web_metrics.HTTP_REQUESTS  # imported for its registrations
    families = list(REGISTRY.collect())
    for path in settings.PROMETHEUS_EXTRA_COLLECTORS:
        families += list(import_string(path)().collect())
    names = set()
    for family in families:
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
    return names


def rule_expressions() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_the_rules_pass_promtools_check_and_unit_tests():
    binary = promtool()
    for args in (["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]):
        result = subprocess.run([binary, *args], capture_output=True, text=True, check=False)  # nosec B603
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_issue_alert_is_a_rule_with_a_unit_test():
    assert set(rule_expressions()) == ALERTS
    tested = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    }
    assert tested == ALERTS


@pytest.mark.django_db
def test_every_metric_the_rules_and_the_dashboard_query_is_exported():
    exported = exported_series()
    queried = {
        name for expr in [*rule_expressions().values(), *dashboard_expressions()] for name in METRIC.findall(expr)
    }
    assert queried, "no portal metric found in the rules and the dashboard"
    assert queried <= exported, sorted(queried - exported)


def test_the_dashboard_covers_traffic_latency_errors_bands_drift_fairness_incidents_and_auc():
    queried = " ".join(dashboard_expressions())
    for metric in (
        "loanportal_http_requests_total",
        "loanportal_http_request_duration_seconds_bucket",
        "loanportal_http_errors_total",
        "loanportal_decisions_by_band_total",
        "loanportal_score_psi",
        "loanportal_fairness_min_adverse_impact_ratio",
        "loanportal_incidents_active",
        "loanportal_estimated_roc_auc",
        "loanportal_realized_roc_auc",
    ):
        assert metric in queried, metric
