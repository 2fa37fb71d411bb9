"""Report benchmark: the ongoing monitoring report over a month of 1,000,000 decisions on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench .venv/bin/python bench/reports.py [--rows 1000000]

The database named in DATABASE_URL belongs to the benchmark: it must not exist yet; it is
created, migrated and seeded as `bench/drift.py` seeds it (a small trained version,
--rows logged decisions on the first day of the current month), and dropped at the end
(unless --keep). The version is taken through the workflow to production by three
distinct users, a drift run over the day is executed so the drift section and its chart
have data, and one incident is opened.

Each measurement runs in a fresh Python process that calls `report_generate` (the
command's and the monthly job's code path: the month's checks, the grouped queries over
the decision log, drift, fairness, performance and incidents, the template, WeasyPrint and
storing the PDF). It reports the elapsed time and the process's peak resident memory
(ru_maxrss, Python, Django, WeasyPrint and their libraries included). Three
measurements; the worst is held against the targets. The second and third find the
identical report stored and return it, so they measure the full rendering too (the PDF is
rendered before it is compared).
"""

import argparse
import json

# Only to run this script's own measurement in a fresh process (bandit B404).
import subprocess  # nosec B404
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import database, drift  # noqa: E402
from bench.database import benchmark_database  # noqa: E402

TARGET_SECONDS, TARGET_MB = 10.0, 800
MEASUREMENTS = 3


def measure(version_id: int, month: str) -> None:
    """Child process: generate the month's monitoring report and print what it cost."""
    database.setup_django()
    from governance.reports.services import report_generate

    before = drift.rss_mb()
    started = time.perf_counter()
    report = report_generate(version_id=version_id, kind="monitoring", month=month)
    seconds = time.perf_counter() - started
    decisions = report.data["decisions"]["decisions"]
    print(json.dumps({"seconds": seconds, "peak_mb": drift.peak_rss_mb(), "before_mb": before, "rows": decisions}))


def promote(version_id: int) -> None:
    """Take the version to production through the workflow, as three distinct people."""
    from governance.models import ModelVersion
    from governance.services import model_version_transition, portal_user_provision
    from governance.workflow import fairness_gate_ids
    from loanportal.roles import Role

    version = ModelVersion.objects.get(pk=version_id)
    author = portal_user_provision(username="bench-author", role=Role.DATA_SCIENTIST)
    validator = portal_user_provision(username="bench-validator", role=Role.MODEL_VALIDATOR)
    approver = portal_user_provision(username="bench-approver", role=Role.MODEL_APPROVER)
    waive = "Benchmark data; reviewed."
    high = {f["id"]: waive for f in version.findings if f["severity"] == "high"}
    for action, actor, waivers in (
        ("submit", author, {}),
        ("validate", validator, high),
        ("approve", approver, {}),
        ("promote", approver, dict.fromkeys(fairness_gate_ids(version), waive)),
    ):
        model_version_transition(version_id=version_id, action=action, actor=actor, comment=action, waivers=waivers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)  # child process: version id, month
    args = parser.parse_args()
    if args.measure is not None:
        measure(int(args.measure[0]), args.measure[1])
        return

    if args.rows < drift.DISTINCT_APPLICATIONS or args.rows % drift.DISTINCT_APPLICATIONS:
        sys.exit(f"--rows must be a multiple of {drift.DISTINCT_APPLICATIONS:,}.")
    # The month in progress: the version goes to production now, so this is its month.
    now = datetime.now(UTC)
    drift.DAY_START = datetime(now.year, now.month, 1, tzinfo=UTC)
    month = f"{now:%Y-%m}"
    with benchmark_database(keep=args.keep, scratch_prefix="reports-bench-"):
        database.setup_django()
        from django.db import connections

        from governance.models import ModelVersion
        from monitoring import rules
        from monitoring.incidents import incident_raise
        from monitoring.models import JobKind, Trigger
        from monitoring.runs import monitoring_run_execute, monitoring_runs_request
        from monitoring.windows import Window

        started = time.perf_counter()
        version_id, size = drift.seed(args.rows)
        promote(version_id)
        version = ModelVersion.objects.select_related("registered_model").get(pk=version_id)
        day = Window(drift.DAY_START, drift.DAY_START + timedelta(hours=24))
        for run in monitoring_runs_request(
            kind=JobKind.DRIFT, registered_model=version.registered_model, window=day, trigger=Trigger.COMMAND
        ):
            monitoring_run_execute(run_id=run.pk, claimed_by="bench")
        breach = rules.drift_breach(subject="Credit_Score", psi=0.3, alerting=True, act=0.25)
        incident_raise(breach=breach, version=version)
        print(f"seeded               {args.rows:,} decisions ({size} on disk) in {time.perf_counter() - started:.0f} s")
        results = []
        for _ in range(MEASUREMENTS):
            # This interpreter, this file, an integer id and a YYYY-MM month (bandit B603).
            child = subprocess.run(  # nosec B603
                [sys.executable, __file__, "--measure", str(version_id), month],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        connections.close_all()

    for k, r in enumerate(results, 1):
        print(
            f"report {k}             {r['seconds']:6.2f} s  peak RSS {r['peak_mb']:5.0f} MB "
            f"(before the report {r['before_mb']:.0f} MB)  {r['rows']:,} decisions in the month"
        )
    worst_seconds = max(r["seconds"] for r in results)
    worst_mb = max(r["peak_mb"] for r in results)
    verdict = "met" if worst_seconds <= TARGET_SECONDS and worst_mb <= TARGET_MB else "MISSED"
    print(f"monitoring report, worst of {MEASUREMENTS}  {worst_seconds:6.2f} s    target <= {TARGET_SECONDS:g} s")
    print(f"peak memory (RSS)    {worst_mb:6.0f} MB   target <= {TARGET_MB} MB")
    print(f"targets              {verdict}")


if __name__ == "__main__":
    main()
