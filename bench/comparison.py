"""Challenger benchmark: a replay over 1,000,000 logged decisions (a quarter with outcomes)
and the hourly shadow scoring of 100,000 decisions, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/comparison_bench .venv/bin/python bench/comparison.py
        [--rows 1000000] [--shadow-rows 100000]

The database named in DATABASE_URL belongs to the benchmark: it must not exist yet; it is
created, migrated and seeded, and dropped at the end (unless --keep). Seeding is the drift
benchmark's (`bench/drift.py`: a model trained on demo data, 5,000 scored demo applications
copied inside PostgreSQL up to --rows over one day), then: outcomes for a quarter of the
decisions, all of them approvals (only funded loans have outcomes); a second version trained
on other demo data with another seed, the challenger; the champion taken to production and
the challenger to validated and into shadow through the workflow; --shadow-rows more
decisions copied into each of the three hours after the shadow started (in the future: the
hourly job of each hour is what is timed).

Each measurement runs in a fresh Python process: the replay (`comparison_create`: COPY
stream of vectors, verdicts and outcomes, the challenger's schema check, batch scoring,
DeLong, fairness, storing the comparison) over the day under a new period identity, and the
hourly shadow scoring of that hour (`challenger_scores_record`: read, check, score, reason
codes, insert). Elapsed time and peak RSS of each (ru_maxrss), worst of three replays and
of three hours of shadow scoring, one hour each (a second run of an hour finds everything
answered; the second and third hour are scored with the earlier hours' scores stored).
"""

import argparse
import json

# Only to run this script's own measurement in a fresh process (bandit B404).
import subprocess  # nosec B404
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from database import benchmark_database, setup_django
from drift import DAY_START, peak_rss_mb, rss_mb, seed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPLAY_SECONDS, REPLAY_MB = 5.0, 600
SHADOW_SECONDS = 2.0
MEASUREMENTS = 3


def shadow_hour(started_at: int, k: int = 0) -> datetime:
    """The `k`th whole hour after the one the shadow started in (shadow scores only later decisions)."""
    return datetime.fromtimestamp(started_at - started_at % 3600 + 3600 * (k + 1), tz=UTC)


def measure(kind: str, champion_id: int, challenger_id: int, extra: int) -> None:
    """Child process: one replay (over the day and `extra` more hours, a new period identity),
    or the shadow scoring of the `extra`th hour after the shadow's start, and what it cost."""
    setup_django()
    from governance.models import ModelVersion
    from monitoring.comparisons import ComparisonSubject, comparison_create
    from monitoring.models import Trigger
    from monitoring.shadow import challenger_scores_record
    from monitoring.windows import Window

    champion = ModelVersion.objects.select_related("registered_model").get(pk=champion_id)
    challenger = ModelVersion.objects.select_related("registered_model").get(pk=challenger_id)
    before = rss_mb()
    started = time.perf_counter()
    if kind == "replay":
        period = Window(DAY_START, DAY_START + timedelta(hours=24 + extra))
        comparison = comparison_create(
            subject=ComparisonSubject(champion=champion, challenger=challenger, period=period), trigger=Trigger.COMMAND
        )
        rows, outcomes = comparison.n_decisions, comparison.n_outcomes
    else:
        start = shadow_hour(int(cast(datetime, challenger.shadow_since).timestamp()), extra)
        hour = Window(start, start + timedelta(hours=1))
        rows = challenger_scores_record(challenger=challenger, window=hour)
        outcomes = 0
    seconds = time.perf_counter() - started
    cost = {"seconds": seconds, "peak_mb": peak_rss_mb(), "before_mb": before}
    print(json.dumps({**cost, "rows": rows, "outcomes": outcomes}))


def prepare(rows: int, shadow_rows: int) -> tuple[int, int]:
    """Seed as the drift benchmark, then outcomes, the challenger, the workflow, the shadow hours."""
    from django.db import connection
    from psycopg2 import sql

    from governance.ml.dataset import load_dataset
    from governance.ml.demo_data import generate, write_csv
    from governance.ml.training import train
    from governance.models import ModelVersion
    from governance.services import model_version_register, model_version_transition, portal_user_provision
    from governance.workflow import fairness_gate_ids
    from loanportal.roles import Role
    from predictions.models import DecisionLog, Outcome
    from tests.support import waive_all_high

    champion_id, _ = seed(rows)
    champion = ModelVersion.objects.select_related("registered_model").get(pk=champion_id)
    with tempfile.TemporaryDirectory() as scratch:
        write_csv(generate(5000, seed=99), Path(scratch) / "other.csv")
        result = train(
            load_dataset(Path(scratch) / "other.csv"),
            seed=7,
            protected_attributes=["Gender", "age"],
            min_auc=0.5,
            fairness_min_group_size=100,
        )
    challenger = model_version_register(
        registered_model=champion.registered_model, result=result, author=champion.created_by
    )
    author = portal_user_provision(username=champion.created_by.get_username(), role=Role.DATA_SCIENTIST)
    validator = portal_user_provision(username="bench-validator", role=Role.MODEL_VALIDATOR)
    approver = portal_user_provision(username="bench-approver", role=Role.MODEL_APPROVER)
    for version, last in ((champion, "promote"), (challenger, "start_shadow")):
        steps = [("submit", author), ("validate", validator)]
        steps += [("approve", approver), ("promote", approver)] if last == "promote" else [("start_shadow", approver)]
        for action, actor in steps:
            waivers = waive_all_high(version) if action == "validate" else {}
            if action == "promote":
                waivers = {key: "Benchmark data." for key in fairness_gate_ids(version)}
            version = model_version_transition(version_id=version.pk, action=action, actor=actor, waivers=waivers)
    decisions = sql.Identifier(DecisionLog._meta.db_table)
    challenger.refresh_from_db()
    started = int(cast(datetime, challenger.shadow_since).timestamp())
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {t} WHERE decision = 'approve' AND model_version_id = %s").format(
                t=decisions
            ),
            [champion.pk],
        )
        approvals = cursor.fetchone()[0]
        share = min(1.0, rows / 4 / approvals)
        cursor.execute(
            sql.SQL(
                "INSERT INTO {o} (decision_log_id, defaulted, observed_at, recorded_by_id, recorded_at) "
                "SELECT id, random() < probability, created_at + interval '365 days', client_id, now() FROM {t} "
                "WHERE decision = 'approve' AND model_version_id = %s AND random() < %s"
            ).format(o=sql.Identifier(Outcome._meta.db_table), t=decisions),
            [champion.pk, share],
        )
        for k in range(MEASUREMENTS):
            cursor.execute(
                sql.SQL(
                    """
                    INSERT INTO {t} (id, request_id, client_id, model_version_id, inputs, features, probability,
                                     decision, risk_band, reason_codes, latency_ms, created_at)
                    SELECT gen_random_uuid(), md5(random()::text), client_id, model_version_id, inputs, features,
                           probability, decision, risk_band, reason_codes, latency_ms, %s + random() * interval '1 hour'
                    FROM {t} WHERE model_version_id = %s AND created_at < %s LIMIT %s
                    """
                ).format(t=decisions),
                [shadow_hour(started, k), champion.pk, DAY_START + timedelta(days=1), shadow_rows],
            )
        cursor.execute(sql.SQL("VACUUM (ANALYZE) {t}").format(t=decisions))
    return champion.pk, challenger.pk


def child(kind: str, champion: int, challenger: int, k: int) -> dict[str, float]:
    # This interpreter, this file and integer ids (bandit B603).
    run = subprocess.run(  # nosec B603
        [sys.executable, __file__, "--measure", kind, str(champion), str(challenger), str(k)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shadow-rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)  # child: kind, champion, challenger, k
    args = parser.parse_args()
    if args.measure is not None:
        kind, champion, challenger, k = args.measure
        measure(kind, int(champion), int(challenger), int(k))
        return
    with benchmark_database(keep=args.keep, scratch_prefix="comparison-bench-"):
        setup_django()
        from django.db import connections

        started = time.perf_counter()
        champion, challenger = prepare(args.rows, args.shadow_rows)
        seconds = time.perf_counter() - started
        print(f"seeded               {args.rows:,} + {MEASUREMENTS} x {args.shadow_rows:,} decisions, {seconds:.0f} s")
        connections.close_all()
        replays = [child("replay", champion, challenger, k) for k in range(MEASUREMENTS)]
        shadows = [child("shadow", champion, challenger, k) for k in range(MEASUREMENTS)]

    for k, r in enumerate(replays, 1):
        print(
            f"replay {k}             {r['seconds']:6.2f} s  peak RSS {r['peak_mb']:5.0f} MB "
            f"(before {r['before_mb']:.0f} MB)  {r['rows']:,} decisions, {r['outcomes']:,} outcomes"
        )
    for k, r in enumerate(shadows, 1):
        print(f"shadow scoring {k}     {r['seconds']:6.2f} s  peak RSS {r['peak_mb']:5.0f} MB  {r['rows']:,} decisions")
    worst_seconds = max(r["seconds"] for r in replays)
    worst_mb = max(r["peak_mb"] for r in replays)
    worst_shadow = max(r["seconds"] for r in shadows)
    print(f"replay, worst of {MEASUREMENTS}    {worst_seconds:6.2f} s    target <= {REPLAY_SECONDS:g} s")
    print(f"replay peak RSS      {worst_mb:6.0f} MB   target <= {REPLAY_MB} MB")
    print(f"shadow, worst of {MEASUREMENTS}    {worst_shadow:6.2f} s    target <= {SHADOW_SECONDS:g} s")
    met = worst_seconds <= REPLAY_SECONDS and worst_mb <= REPLAY_MB and worst_shadow <= SHADOW_SECONDS
    print(f"targets              {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
