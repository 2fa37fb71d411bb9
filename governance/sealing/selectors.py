"""Reads of the sealed audit: one record's inclusion proof, and where a record is sealed."""

import uuid
from typing import Any

from governance.ledger import inclusion_proof, proof_document
from governance.models import AuditBlock, AuditLeaf
from loanportal.errors import InvalidInput, NotFound

from .kinds import KINDS_BY_NAME, Kind
from .records import sealed_block, with_text_id


def _record_pk(kind: Kind, text: str) -> Any:
    try:
        return uuid.UUID(text) if kind.uuid_ids else int(text)
    except ValueError:
        expected = "a UUID" if kind.uuid_ids else "an integer"
        raise InvalidInput(f"A {kind.name} id is {expected}.", {"id": [f"{text!r} is not {expected}."]}) from None


def audit_kind_get(*, name: str) -> Kind:
    kind = KINDS_BY_NAME.get(name)
    if kind is None:
        known = ", ".join(sorted(KINDS_BY_NAME))
        raise InvalidInput(f"There is no audit record kind {name!r}.", {"kind": [f"Must be one of: {known}."]})
    return kind


def audit_proof(*, kind_name: str, record_id: str) -> dict[str, Any]:
    """The proof document (docs/audit_ledger.md section 4) that the record as it is now
    stored is leaf `leaf_index` of its signed block. A record changed since it was sealed
    gets a proof that fails to verify, which is the point.

    Raises `InvalidInput` (unknown kind, malformed id) and `NotFound` (no such record, or
    not sealed yet)."""
    kind = audit_kind_get(name=kind_name)
    pk = _record_pk(kind, record_id)
    row = with_text_id(kind).filter(pk=pk).values_list("_pk_text", *kind.record_fields).first()
    if row is None:
        raise NotFound(f"There is no {kind.name} record {record_id}.")
    leaf = AuditLeaf.objects.filter(kind=kind.name, record_id=row[0]).select_related("block").first()
    if leaf is None and kind.superseded_by is not None:
        raise NotFound(
            f"The {kind.name} chain is closed and does not hold record {record_id}; "
            f"ask for kind {kind.superseded_by}, which seals it."
        )
    if leaf is None:
        raise NotFound(
            f"The {kind.name} record {record_id} is not sealed yet; the next seal (every 5 minutes) seals it."
        )
    hashes = [
        bytes(digest)
        for digest in AuditLeaf.objects.filter(block=leaf.block)
        .order_by("position")
        .values_list("leaf_hash", flat=True)
    ]
    return proof_document(
        record=kind.record(pk, row[1:]),
        leaf_index=leaf.position,
        audit_path=inclusion_proof(hashes, leaf.position),
        sealed=sealed_block(leaf.block),
    )


def audit_block_of(*, kind: Kind, pk: Any) -> AuditBlock | None:
    """The block that seals the record, or None when it is not sealed yet."""
    text = with_text_id(kind).filter(pk=pk).values_list("_pk_text", flat=True).first()
    if text is None:
        return None
    leaf = AuditLeaf.objects.filter(kind=kind.name, record_id=text).select_related("block").first()
    return leaf.block if leaf else None


def audit_seal_status(*, kind: Kind, pk: Any) -> str:
    """ "sealed in block N at T" or "not sealed yet", as the admin shows it."""
    block = audit_block_of(kind=kind, pk=pk)
    if block is None:
        return "not sealed yet"
    return f"sealed in block {block.number} at {block.signed_at:%Y-%m-%d %H:%M:%S} UTC"
