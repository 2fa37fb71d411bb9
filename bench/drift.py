"""Drift benchmark: the drift job over 1,000,000 logged decisions on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drift_bench .venv/bin/python bench/drift.py [--rows 1000000]
        [--job drift|estimated_performance|data_quality]

`--job estimated_performance` measures the estimated-performance job over the same window
instead (one binary COPY of the probabilities, the isotonic recalibration when the version
needs it, the estimate with its bands; the backtest finds no outcomes in this database).
`--job data_quality` measures the data-quality job: the same COPY stream of encoded vectors
counted per field, plus the refused applications (2 % of --rows more are seeded as refused,
spread over the day) counted by field and rule.

The database named in DATABASE_URL belongs to the benchmark: it must not exist yet; it is
created, migrated and seeded, and dropped at the end (unless --keep). Seeding trains a
small model on generated demo data, logs 5,000 scored demo applications (inputs, encoded
features, probability; built as the tests build them, `tests.support.decision_log_rows`)
spread over one day, and copies them inside PostgreSQL
(INSERT ... SELECT with new ids and random times in the day) up to --rows.

Each measurement runs in a fresh Python process that executes one drift run over the day
through the job's own code path (`monitoring_run_execute`: claim, COPY streaming, binning,
PSI and chi-square for 28 fields and the score, storing results and incidents). It reports
the elapsed time of that call and the process's peak resident memory (ru_maxrss: Python,
Django, numpy and the libraries they import included; the RSS before the run is shown too,
so the run's own share is visible). Three measurements, each over a new window identity
covering the same rows; the worst is held against the targets.
"""

import argparse
import json
import resource

# Only to run this script's own measurement in a fresh process (bandit B404).
import subprocess  # nosec B404
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from database import benchmark_database, setup_django  # noqa: E402

TARGET_SECONDS, TARGET_MB = 3.0, 500
EVIDENTLY_SECONDS, EVIDENTLY_MB = 34, 2100
DISTINCT_APPLICATIONS = 5000
DAY_START = datetime(2026, 1, 5, tzinfo=UTC)
MEASUREMENTS = 3


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(run_id: int) -> None:
    """Child process: execute one run and print what it cost."""
    setup_django()
    from monitoring.runs import monitoring_run_execute

    before = rss_mb()
    started = time.perf_counter()
    run = monitoring_run_execute(run_id=run_id, claimed_by="bench")
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"seconds": seconds, "peak_mb": peak_rss_mb(), "before_mb": before, "status": run.status, "rows": run.rows}
        )
    )


def seed(rows: int) -> tuple[int, str]:
    """Train and register a version, log `rows` decisions for it over DAY_START's day."""
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from psycopg2 import sql

    from governance.ml.dataset import load_dataset
    from governance.ml.demo_data import generate, write_csv
    from governance.ml.fields import APPLICATION_FIELDS, CSV_COLUMN_RENAMES
    from governance.ml.scorer import Scorer
    from governance.ml.training import train
    from governance.services import model_version_register, registered_model_get_or_create
    from predictions.models import DecisionLog, RefusedApplication
    from tests.support import decision_log_rows

    call_command("migrate", verbosity=0)
    author = get_user_model().objects.create_user("bench-author")
    with tempfile.TemporaryDirectory() as scratch:
        write_csv(generate(5000, seed=42), Path(scratch) / "demo.csv")
        result = train(
            load_dataset(Path(scratch) / "demo.csv"),
            seed=42,
            protected_attributes=["Gender", "age"],
            min_auc=0.75,
            fairness_min_group_size=100,
        )
    version = model_version_register(
        registered_model=registered_model_get_or_create(name="loan-default"), result=result, author=author
    )
    frame = generate(DISTINCT_APPLICATIONS, seed=7).rename(columns=CSV_COLUMN_RENAMES)[list(APPLICATION_FIELDS)]
    rng = np.random.default_rng(1)
    times = [DAY_START + timedelta(seconds=float(rng.uniform(0, 86_400))) for _ in range(DISTINCT_APPLICATIONS)]
    DecisionLog.objects.bulk_create(
        decision_log_rows(version, frame, scorer=Scorer(result.document), client=author, at=times)
    )
    copies = rows // DISTINCT_APPLICATIONS - 1
    table = sql.Identifier(DecisionLog._meta.db_table)
    with connection.cursor() as cursor:
        copy_rows = sql.SQL(
            """
            INSERT INTO {table} (id, request_id, client_id, model_version_id, inputs, features, probability,
                                 decision, risk_band, reason_codes, latency_ms, created_at)
            SELECT gen_random_uuid(), md5(random()::text), client_id, model_version_id, inputs, features,
                   probability, decision, risk_band, reason_codes, latency_ms,
                   %s + random() * interval '24 hours'
            FROM {table} CROSS JOIN generate_series(1, %s)
            WHERE model_version_id = %s
            """
        ).format(table=table)
        cursor.execute(copy_rows, [DAY_START, copies, version.pk])
        refuse = sql.SQL(
            """
            INSERT INTO {table} (client_id, model_version_id, request_id, batch_index, rules, created_at)
            SELECT %s, %s, md5(random()::text), NULL,
                   CASE WHEN random() < 0.5 THEN '{{"income": "wrong_type"}}'::jsonb
                        ELSE '{{"loan_amount": "out_of_range", "Region": "required"}}'::jsonb END,
                   %s + random() * interval '24 hours'
            FROM generate_series(1, %s)
            """
        ).format(table=sql.Identifier(RefusedApplication._meta.db_table))
        cursor.execute(refuse, [author.pk, version.pk, DAY_START, rows // 50])
        cursor.execute(sql.SQL("VACUUM (ANALYZE) {table}").format(table=table))
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [DecisionLog._meta.db_table])
        size = cursor.fetchone()[0]
    return version.pk, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument("--job", choices=("drift", "estimated_performance", "data_quality"), default="drift")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # child process: run id
    args = parser.parse_args()
    if args.measure is not None:
        measure(args.measure)
        return

    if args.rows < DISTINCT_APPLICATIONS or args.rows % DISTINCT_APPLICATIONS:
        sys.exit(f"--rows must be a multiple of {DISTINCT_APPLICATIONS:,}.")
    with benchmark_database(keep=args.keep, scratch_prefix="drift-bench-"):
        setup_django()
        from django.db import connections

        from governance.models import ModelVersion
        from monitoring.models import JobKind, Trigger
        from monitoring.runs import monitoring_runs_request
        from monitoring.windows import Window

        started = time.perf_counter()
        version_id, size = seed(args.rows)
        print(f"seeded               {args.rows:,} decisions ({size} on disk) in {time.perf_counter() - started:.0f} s")
        version = ModelVersion.objects.select_related("registered_model").get(pk=version_id)
        results = []
        for k in range(MEASUREMENTS):
            # The same day's rows under a new window identity (one more empty hour each time).
            (run,) = monitoring_runs_request(
                kind=JobKind(args.job),
                registered_model=version.registered_model,
                window=Window(DAY_START, DAY_START + timedelta(hours=24 + k)),
                trigger=Trigger.COMMAND,
            )
            # This interpreter, this file and an integer id (bandit B603).
            child = subprocess.run(  # nosec B603
                [sys.executable, __file__, "--measure", str(run.pk)], capture_output=True, text=True, check=True
            )
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        connections.close_all()

    for k, r in enumerate(results, 1):
        print(
            f"run {k}                {r['seconds']:6.2f} s  peak RSS {r['peak_mb']:5.0f} MB "
            f"(before the run {r['before_mb']:.0f} MB)  {r['rows']:,} rows, {r['status']}"
        )
    worst_seconds = max(r["seconds"] for r in results)
    worst_mb = max(r["peak_mb"] for r in results)
    verdict = "met" if worst_seconds <= TARGET_SECONDS and worst_mb <= TARGET_MB else "MISSED"
    drift = args.job == "drift"
    print(
        f"{args.job}, worst of {MEASUREMENTS}     {worst_seconds:6.2f} s    target <= {TARGET_SECONDS:g} s    "
        + (f"(Evidently PSI preset: {EVIDENTLY_SECONDS} s)" if drift else "")
    )
    print(
        f"peak memory (RSS)    {worst_mb:6.0f} MB   target <= {TARGET_MB} MB   "
        + (f"(Evidently PSI preset: {EVIDENTLY_MB / 1000:.1f} GB)" if drift else "")
    )
    print(f"targets              {verdict}")


if __name__ == "__main__":
    main()
