"""Load test: 20,000 single predictions at concurrency 16 against gunicorn + PostgreSQL.

    createdb -h 127.0.0.1 -U postgres portal_load
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_load /work/main/.venv/bin/python bench/load.py

Prepares the database and starts gunicorn as `bench/api.py` does (bench/support.py), sends
`--requests` single `POST /api/v1/predictions/` from `--concurrency` threads, each on its
own keep-alive connection, and prints the answers by class, connection errors, requests
per second, p50/p99 end to end and the decision-log rows added. Two checks decide the exit
status: no 5xx answer, and exactly one decision-log row per 2xx answer (a scored
application is always recorded, and nothing is recorded that the client was not told
about). Connection errors are reported, not retried: a retried POST could be scored twice.
"""

import argparse
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from support import PREDICT, Api, applications, gunicorn, prepare, run_concurrently

from predictions.models import DecisionLog


@dataclass
class Tally:
    """What one client thread saw."""

    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    connection_errors: int = 0


def client(port: int, token: str, bodies: list[bytes], tickets: itertools.count, total: int, tally: Tally) -> None:
    """Post until the shared tickets run out; an exception counts as a connection error."""
    api = Api(port, token)
    while (ticket := next(tickets)) < total:
        started = time.perf_counter()
        try:
            status, _ = api.post(PREDICT, bodies[ticket % len(bodies)])
        except OSError:
            tally.connection_errors += 1
            api.reconnect()
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.statuses.append(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    token = prepare()
    bodies = [json.dumps(application).encode() for application in applications(1000)]
    tallies = [Tally() for _ in range(args.concurrency)]
    tickets = itertools.count()  # next() on it is atomic under the GIL: each request is sent once

    with gunicorn(args.port, args.workers):
        rows_before = DecisionLog.objects.count()
        threads = [
            threading.Thread(target=client, args=(args.port, token, bodies, tickets, args.requests, tally))
            for tally in tallies
        ]
        elapsed = run_concurrently(threads)
        rows_added = DecisionLog.objects.count() - rows_before

    statuses = np.array([s for t in tallies for s in t.statuses])
    latencies = np.array([s for t in tallies for s in t.latencies]) * 1000
    ok = int(((statuses >= 200) & (statuses < 300)).sum())
    client_errors = int(((statuses >= 400) & (statuses < 500)).sum())
    server_errors = int((statuses >= 500).sum())
    connection_errors = sum(t.connection_errors for t in tallies)
    checks = {"zero 5xx": server_errors == 0, "rows == 2xx": rows_added == ok}

    print(
        f"{args.requests} single predictions, concurrency {args.concurrency}, gunicorn {args.workers} workers, "
        f"{os.cpu_count()} cores shared with the load generator"
    )
    for label, value in [
        ("requests sent", f"{args.requests}"),
        ("answered", f"{len(statuses)}"),
        ("2xx", f"{ok}"),
        ("4xx", f"{client_errors}"),
        ("5xx", f"{server_errors}"),
        ("connection errors", f"{connection_errors}"),
        ("requests per second", f"{len(statuses) / elapsed:.0f} /s"),
        ("p50 end to end", f"{np.percentile(latencies, 50):.2f} ms" if len(latencies) else "-"),
        ("p99 end to end", f"{np.percentile(latencies, 99):.2f} ms" if len(latencies) else "-"),
        ("decision-log rows added", f"{rows_added}"),
    ]:
        print(f"{label:<26} {value:>12}")
    for name, passed in checks.items():
        print(f"{name:<26} {'PASS' if passed else 'FAIL':>12}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
