"""Audit ledger benchmark: the pure part of sealing and verifying 1,000,000 decisions.

    .venv/bin/python bench/ledger.py [--rows 1000000]

No database: records are generated in chunks of decision-log shape (a 28-field
application as the inputs, an encoded feature vector, a UUID id and version, an aware
time, probability, decision, band, reason codes, latency) as the sealer would receive
them from PostgreSQL. Generating a chunk is not timed; everything the sealer does with
it is, step by step:

- kept digest: `digest_of` the inputs and the features together, as
  `predictions.models.decision_inputs_sha256` does (the hash a leaf commits to so that it
  survives retention clearing them). It is computed once, when the decision is logged,
  and again by verify; sealing reads the stored column, so it is not part of the seal;
- canonical: `canonical_record` of the decision kind's fields (`governance.sealing.kinds`),
  the generic path (SQLite, proofs; PostgreSQL's seal writes most of this text in SQL and
  is measured end to end by bench/audit.py);
- leaf hashes: `leaf_hash` of each canonical record;
- root + signature: `block_seal` over all leaf hashes (Merkle root, head, Ed25519);
- proof: an audit path for a record in the 1,000,000-leaf block, its proof document,
  and `proof_verify` on it;
- verify: `block_problems` over the recomputed leaf hashes (root, hash, signature).

Targets: the full seal of 1,000,000 decision rows (reading them from PostgreSQL
included) must take at most 20 s on the 2-core machine, so the pure part should take a
small fraction of it: leaf hashing and the root within 3 s, the whole pure seal within
half the budget (10 s). Peak resident memory (ru_maxrss) is reported against the
feature's 500 MB; the leaf hashes of 1,000,000 records are the bulk of it.
"""

import argparse
import resource
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from governance.ledger import (  # noqa: E402
    GENESIS_PREVIOUS_HASH,
    block_problems,
    block_seal,
    canonical_record,
    digest_of,
    inclusion_proof,
    leaf_hash,
    proof_document,
    proof_verify,
)
from governance.ml.fields import APPLICATION_FIELDS, NUMERIC_FIELDS  # noqa: E402

CHUNK = 10_000
LEAVES_AND_ROOT_SECONDS, PURE_SEAL_SECONDS, FULL_SEAL_SECONDS, TARGET_MB = 3.0, 10.0, 20.0, 500
START = datetime(2026, 1, 5, tzinfo=UTC)
PROOFS = 5


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def decision_rows(first: int, count: int) -> list[dict[str, Any]]:
    """Rows as the ORM returns them: Python values, not yet digested or encoded."""
    version_id = uuid.UUID("0190f3a2-7b1c-7def-8a12-3456789abcde")
    rows = []
    for number in range(first, first + count):
        inputs: dict[str, Any] = {
            name: (float(number % 997) * 1.5 if name in NUMERIC_FIELDS else f"{name.lower()}_{number % 5}")
            for name in APPLICATION_FIELDS
        }
        rows.append(
            {
                "id": uuid.UUID(int=(0x0190F3A2 << 96) | number),
                "request_id": f"req-{number:012d}",
                "client_id": 3,
                "model_version_id": version_id,
                "inputs": inputs,
                "features": number.to_bytes(8, "little") * 29,
                "probability": (number % 10_000) / 10_000 + 1e-9,
                "decision": "approve" if number % 4 else "refer",
                "risk_band": f"B{number % 5}",
                "reason_codes": ["debt_to_income", "credit_history_length", "loan_to_value"],
                "latency_ms": 2.5 + (number % 100) / 37,
                "created_at": START + timedelta(microseconds=number * 250),
            }
        )
    return rows


def measure(rows: int) -> dict[str, float]:
    seconds = {"kept digest": 0.0, "canonical record": 0.0, "leaf hashes": 0.0}
    leaves: list[bytes] = []
    first_id = last_id = None
    for first in range(0, rows, CHUNK):
        chunk = decision_rows(first, min(CHUNK, rows - first))
        started = time.perf_counter()
        kept_digests = [digest_of({"inputs": row["inputs"], "features": row["features"]}) for row in chunk]
        encoded = time.perf_counter()
        records = [
            canonical_record(
                kind="decision",
                record_id=row["id"],
                fields={
                    "request_id": row["request_id"],
                    "client_id": row["client_id"],
                    "model_version_id": row["model_version_id"],
                    "inputs_sha256": inputs_sha256,
                    "probability": row["probability"],
                    "decision": row["decision"],
                    "risk_band": row["risk_band"],
                    "reason_codes": row["reason_codes"],
                    "latency_ms": row["latency_ms"],
                    "created_at": row["created_at"],
                },
            )
            for row, inputs_sha256 in zip(chunk, kept_digests, strict=True)
        ]
        canonical = time.perf_counter()
        leaves += map(leaf_hash, records)
        done = time.perf_counter()
        seconds["kept digest"] += encoded - started
        seconds["canonical record"] += canonical - encoded
        seconds["leaf hashes"] += done - canonical
        if first_id is None:
            first_id = chunk[0]["id"]
        last_id = chunk[-1]["id"]
        kept_record = records[-1]  # the last record gets a proof below

    signing_key = Ed25519PrivateKey.generate()
    started = time.perf_counter()
    sealed = block_seal(
        kind="decision",
        block_number=1,
        first_position=0,
        first_record_id=first_id,
        last_record_id=last_id,
        leaf_hashes=leaves,
        previous_block_hash=GENESIS_PREVIOUS_HASH,
        signing_key=signing_key,
        signed_at=datetime.now(UTC),
    )
    seconds["root + signature"] = time.perf_counter() - started

    started = time.perf_counter()
    for _ in range(PROOFS):
        path = inclusion_proof(leaves, rows - 1)
    seconds["audit path (each)"] = (time.perf_counter() - started) / PROOFS
    proof = proof_document(record=kept_record, leaf_index=rows - 1, audit_path=path, sealed=sealed)
    started = time.perf_counter()
    for _ in range(PROOFS):
        problems = proof_verify(proof, signing_key.public_key())
    seconds["proof verify (each)"] = (time.perf_counter() - started) / PROOFS
    if problems:
        raise SystemExit(f"benchmark stopped: the proof does not verify: {problems}")

    started = time.perf_counter()
    problems = block_problems(sealed=sealed, leaf_hashes=leaves, previous=None, public_key=signing_key.public_key())
    seconds["verify block (root)"] = time.perf_counter() - started
    if problems:
        raise SystemExit(f"benchmark stopped: the block does not verify: {problems}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    seconds = measure(args.rows)
    leaves_and_root = seconds["leaf hashes"] + seconds["root + signature"]
    pure_seal = seconds["canonical record"] + leaves_and_root
    scale = 1_000_000 / args.rows
    print(f"{args.rows:,} decision records, Python {sys.version.split()[0]}")
    for step, value in seconds.items():
        per_record = "" if "each" in step else f"  ({value / args.rows * 1e6:.2f} us a record)"
        print(f"  {step:<22}{value:8.3f} s{per_record}")
    checks = [
        ("leaf hashes + root", leaves_and_root * scale, LEAVES_AND_ROOT_SECONDS, "s per 1,000,000"),
        ("pure seal", pure_seal * scale, PURE_SEAL_SECONDS, "s per 1,000,000"),
        ("peak RSS", peak_rss_mb(), TARGET_MB, "MB"),
    ]
    for label, value, target, unit in checks:
        print(f"  {label:<22}{value:8.3f} {unit:<16} target <= {target:g}")
    print(f"  (the full seal, PostgreSQL reads included, has a target of {FULL_SEAL_SECONDS:g} s)")
    met = all(value <= target for _, value, target, _ in checks)
    print("all targets met" if met else "TARGETS MISSED")


if __name__ == "__main__":
    main()
