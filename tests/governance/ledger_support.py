"""Helpers for the audit ledger tests: decision-like records sealed into a signed block."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from governance.ledger import (
    GENESIS_PREVIOUS_HASH,
    SealedBlock,
    block_seal,
    canonical_record,
    digest_of,
    inclusion_proof,
    leaf_hash,
    proof_document,
)

# A fixed signing time: no test depends on the clock.
SIGNED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def decision_fields(number: int) -> dict[str, Any]:
    """The fields a decision log row contributes to its leaf; the inputs as their digest,
    which stays when retention clears them."""
    inputs = {"annual_income": 52_000 + number, "loan_purpose": "car", "term_months": 36}
    return {
        "request_id": f"req-{number:06d}",
        "client_id": 7,
        "model_version_id": uuid.UUID(int=0xABCDEF),
        "inputs_sha256": digest_of(inputs),
        "probability": 0.05 + number / 1000,
        "decision": "approve" if number % 3 else "refer",
        "risk_band": "B2",
        "reason_codes": ["debt_to_income", "credit_history_length"],
        "latency_ms": 3.25,
        "created_at": SIGNED_AT - timedelta(minutes=60 - number),
    }


@dataclass(frozen=True)
class SealedRecords:
    """Records of one kind (canonical bytes, in leaf order) and the block sealing them."""

    records: list[bytes]
    sealed: SealedBlock

    @property
    def leaf_hashes(self) -> list[bytes]:
        return [leaf_hash(record) for record in self.records]

    def proof(self, index: int) -> dict[str, Any]:
        return proof_document(
            record=self.records[index],
            leaf_index=index,
            audit_path=inclusion_proof(self.leaf_hashes, index),
            sealed=self.sealed,
        )


def seal_decisions(
    count: int,
    signing_key: Ed25519PrivateKey,
    *,
    block_number: int = 1,
    first_position: int = 0,
    previous_block_hash: str = GENESIS_PREVIOUS_HASH,
    kind: str = "decision",
) -> SealedRecords:
    numbers = range(first_position, first_position + count)
    ids = [uuid.UUID(int=(1 << 100) + number) for number in numbers]
    records = [
        canonical_record(kind=kind, record_id=record_id, fields=decision_fields(number))
        for record_id, number in zip(ids, numbers, strict=True)
    ]
    sealed = block_seal(
        kind=kind,
        block_number=block_number,
        first_position=first_position,
        first_record_id=ids[0],
        last_record_id=ids[-1],
        leaf_hashes=[leaf_hash(record) for record in records],
        previous_block_hash=previous_block_hash,
        signing_key=signing_key,
        signed_at=SIGNED_AT,
    )
    return SealedRecords(records=records, sealed=sealed)
