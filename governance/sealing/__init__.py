"""The sealed audit: the portal's audit records sealed into signed Merkle blocks
(`governance.ledger` is the pure core; docs/audit_ledger.md the format).

- `kinds`: which records are sealed, one small declaration per kind;
- `keys`: the Ed25519 signing key (`AUDIT_SIGNING_KEY`);
- `services`: `audit_seal`, which seals every record not in a block yet;
- `checkpoints`: copies of each block head outside the database (file, webhook);
- `verify`: `audit_verify`, which recomputes everything and names each mismatch;
- `selectors`: proofs and "sealed in block N" for one record.
"""
