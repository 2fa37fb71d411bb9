"""Sealed-audit benchmark: seal 1,000,000 decision-log rows, then verify them, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/audit_bench .venv/bin/python bench/audit.py [--rows 1000000]

The database named in DATABASE_URL belongs to the benchmark: it must not exist yet; it is
created, migrated and seeded, and dropped at the end (unless --keep). Seeding logs 5,000
decisions of the API's shape (28-field inputs, encoded features, the kept inputs digest,
reason codes) and copies them inside PostgreSQL up to --rows, with version 7 UUIDs from
each copy's time and stored in time order, as the API writes them. Seeding is not timed.

Each measurement runs in a fresh Python process: `audit_seal` over the decision kind
(the unsealed rows read on a connection of its own, canonical records, leaf hashes,
Merkle roots, Ed25519 signatures, each block's leaves COPYed on a thread; blocks of
100,000), then `audit_verify` over it (every leaf, root, signature and chain link, and
in a forked worker every kept digest against the inputs still present). Targets: seal
<= 20 s, verify <= 40 s, <= 500 MB. Memory is the seal's peak resident memory
(ru_maxrss), and for verify the peak of the verifier's and its worker's together,
sampled (proportional set sizes, so the pages they share count once). The CPU seconds of
each process are printed beside the elapsed time: on a machine shared with other work,
elapsed time grows with the load, the processes' own CPU time much less (PostgreSQL's
part of the work, in its server processes, counts in the elapsed time only).
"""

import argparse
import json
import os
import resource

# Only to run this script's own measurement in a fresh process.
import subprocess  # nosec B404
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import database  # noqa: E402
from database import benchmark_database  # noqa: E402

SEAL_SECONDS, VERIFY_SECONDS, TARGET_MB = 20.0, 40.0, 500
DISTINCT = 5_000
# A version 7 UUID made in SQL from a time (48 bits of Unix milliseconds, version 7, the
# rest of a random UUID with its variant), as loanportal.ids.uuid7 makes one in Python.
UUID7_AT = (
    "encode(set_byte(overlay(uuid_send(gen_random_uuid()) PLACING "
    "substring(int8send(floor(extract(epoch FROM {time}) * 1000)::bigint) FROM 3) FROM 1 FOR 6), "
    "6, 112 + (random() * 15)::int), 'hex')::uuid"
)
START = datetime(2026, 1, 5, tzinfo=UTC)


def peak_rss_mb(who: int) -> float:
    """Peak resident memory of this process (RUSAGE_SELF) or of its largest ended child
    (RUSAGE_CHILDREN: verify's kept-digest worker)."""
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def setup_django(key_dir: str) -> None:
    os.environ["AUDIT_SIGNING_KEY"] = str(Path(key_dir) / "signing_key.pem")
    os.environ["AUDIT_CHECKPOINT_DIR"] = str(Path(key_dir) / "checkpoints")
    database.setup_django()


def measure(step: str, key_dir: str) -> None:
    """Child process: one seal or one verify, and what it cost."""
    setup_django(key_dir)
    from governance.ledger import load_signing_key
    from governance.sealing.checkpoints import checkpoints_read
    from governance.sealing.kinds import KINDS_BY_NAME
    from governance.sealing.services import audit_seal
    from governance.sealing.verify import audit_verify

    kinds = [KINDS_BY_NAME["decision"]]
    started, cpu_started = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
    if step == "seal":
        result = audit_seal(kinds=kinds)
        outcome: dict[str, Any] = {"records": result.records(), "blocks": len(result.blocks)}
    else:
        from django.conf import settings

        key = load_signing_key(settings.AUDIT_SIGNING_KEY).public_key()
        checkpoints = [c for _, c in checkpoints_read(Path(settings.AUDIT_CHECKPOINT_DIR)) if not isinstance(c, str)]
        report = audit_verify(public_key=key, checkpoints=checkpoints, kinds=kinds)
        outcome = {"records": report["kinds"]["decision"]["records"], "ok": report["ok"]}
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(resource.RUSAGE_SELF) - cpu_started
    costs = {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "peak_mb": peak_rss_mb(resource.RUSAGE_SELF),
        "worker_cpu_seconds": cpu_seconds(resource.RUSAGE_CHILDREN),
        "worker_peak_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
    }
    print(json.dumps({**costs, **outcome}))


def seed(rows: int) -> str:
    """A version and `rows` decisions for it: DISTINCT built in Python, copied in SQL."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from psycopg2 import sql

    from governance.ml.fields import APPLICATION_FIELDS, NUMERIC_FIELDS
    from governance.models import ModelVersion, RegisteredModel
    from predictions.models import DecisionLog, decision_inputs_sha256

    call_command("migrate", verbosity=0)
    client = get_user_model().objects.create_user("bench-client")
    model = RegisteredModel.objects.create(name="loan-default", purpose="bench", owner="bench")
    version = ModelVersion.objects.create(
        registered_model=model,
        version=1,
        artifact_path="none",
        artifact_sha256="0" * 64,
        artifact_size=0,
        library_versions={},
        feature_schema={},
        training_data={},
        metrics={},
        threshold=0.5,
        baseline={},
        fairness={},
        findings=[],
        created_by=client,
    )
    rows_built = []
    for number in range(DISTINCT):
        inputs = {
            name: (float(number % 997) * 1.5 if name in NUMERIC_FIELDS else f"{name.lower()}_{number % 5}")
            for name in APPLICATION_FIELDS
        }
        features = number.to_bytes(8, "little") * 29
        rows_built.append(
            DecisionLog(
                request_id=f"req-{number:012d}",
                client=client,
                model_version=version,
                inputs=inputs,
                features=features,
                probability=(number % 10_000) / 10_000 + 1e-9,
                decision="approve" if number % 4 else "decline",
                risk_band=f"B{number % 5}",
                reason_codes=[{"field": "debt_to_income", "contribution": 0.25}] if number % 4 == 0 else [],
                latency_ms=2.5 + (number % 100) / 37,
                created_at=START + timedelta(microseconds=number * 250),
                inputs_sha256=decision_inputs_sha256(inputs, features),
            )
        )
    DecisionLog.objects.bulk_create(rows_built)
    table = sql.Identifier(DecisionLog._meta.db_table)
    copy_at = sql.SQL("created_at + copy * interval '1 second'")
    with connection.cursor() as cursor:
        # Ids as the API makes them (loanportal.ids.uuid7), from each decision's own time,
        # and the copies stored in time order, as a log written over time lies on disk:
        # random ids would sort and index in an order no real decision log has. The rows
        # are append-only; the seeding superuser skips the guard trigger for this one step.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            sql.SQL("UPDATE {table} SET id = {id}").format(
                table=table, id=sql.SQL(UUID7_AT).format(time=sql.SQL("created_at"))
            )
        )
        cursor.execute("RESET session_replication_role")
        cursor.execute(
            sql.SQL(
                """
                INSERT INTO {table} (id, request_id, client_id, model_version_id, inputs, features, probability,
                                     decision, risk_band, reason_codes, latency_ms, created_at, inputs_sha256)
                SELECT {id}, md5(random()::text), client_id, model_version_id, inputs, features,
                       probability, decision, risk_band, reason_codes, latency_ms, {at}, inputs_sha256
                FROM {table} CROSS JOIN generate_series(1, %s) AS copy
                ORDER BY {at}
                """
            ).format(table=table, id=sql.SQL(UUID7_AT).format(time=copy_at), at=copy_at),
            [rows // DISTINCT - 1],
        )
        cursor.execute(sql.SQL("VACUUM (ANALYZE) {table}").format(table=table))
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [DecisionLog._meta.db_table])
        return cursor.fetchone()[0]


def process_tree_pss_mb(pid: int) -> float:
    """Memory of a process and its descendants, each page counted once: the sum of their
    proportional set sizes (a page shared by n processes counts 1/n in each), which is
    what verify and its forked worker hold together (their RSS added would count the
    pages they share, Django and its libraries, twice)."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # ended meanwhile
        total_kb += next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
        pending += [int(child) for child in children]
    return total_kb / 1024


def child(step: str, key_dir: str) -> dict[str, Any]:
    """Run one measurement in a fresh process, sampling its memory (and its worker's)
    every 20 ms meanwhile."""
    # This interpreter, this file, fixed arguments.
    process = subprocess.Popen(  # nosec B603
        [sys.executable, __file__, "--measure", step, "--key-dir", key_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_pss = 0.0
    while process.poll() is None:
        peak_pss = max(peak_pss, process_tree_pss_mb(process.pid))
        time.sleep(0.02)
    out, err = process.communicate()
    if process.returncode:
        sys.exit(f"The {step} measurement failed:\n{err}")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_pss_mb": peak_pss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument("--measure", choices=("seal", "verify"), help=argparse.SUPPRESS)
    parser.add_argument("--key-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.key_dir)
        return
    if args.rows < DISTINCT or args.rows % DISTINCT:
        sys.exit(f"--rows must be a multiple of {DISTINCT:,}.")
    with benchmark_database(keep=args.keep, scratch_prefix="audit-bench-") as scratch:
        setup_django(scratch)
        from django.db import connections

        started = time.perf_counter()
        size = seed(args.rows)
        connections.close_all()
        print(f"seeded    {args.rows:,} decisions ({size} on disk) in {time.perf_counter() - started:.0f} s")
        seal = child("seal", scratch)
        verify = child("verify", scratch)
    scale = 1_000_000 / args.rows
    print(
        f"seal      {seal['seconds']:6.2f} s ({seal['cpu_seconds']:.1f} s CPU)  peak RSS {seal['peak_mb']:4.0f} MB  "
        f"{seal['records']:,} records, {seal['blocks']} blocks"
    )
    print(
        f"verify    {verify['seconds']:6.2f} s ({verify['cpu_seconds']:.1f} s CPU, "
        f"worker {verify['worker_cpu_seconds']:.1f} s)  "
        f"peak RSS {verify['peak_mb']:4.0f} MB, worker {verify['worker_peak_mb']:.0f} MB, "
        f"together {verify['peak_pss_mb']:.0f} MB (PSS)  "
        f"{verify['records']:,} records, {'clean' if verify['ok'] else 'MISMATCHES'}"
    )
    # Seal is one process: its exact peak RSS. Verify and its worker run side by side: the
    # peak of their memory together, sampled (Django and its libraries, forked, are shared;
    # their peak RSS is printed above, each counting the shared pages).
    peak = max(seal["peak_mb"], verify["peak_pss_mb"])
    checks = [
        ("seal per 1,000,000", seal["seconds"] * scale, SEAL_SECONDS, "s"),
        ("verify per 1,000,000", verify["seconds"] * scale, VERIFY_SECONDS, "s"),
        ("peak memory", peak, TARGET_MB, "MB"),
    ]
    for label, value, target, unit in checks:
        print(f"  {label:<22}{value:8.2f} {unit:<3} target <= {target:g}")
    met = verify["ok"] and all(value <= target for _, value, target, _ in checks)
    print("all targets met" if met else "TARGETS MISSED")
    print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
