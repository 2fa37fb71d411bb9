"""The audit's Ed25519 signing key: `AUDIT_SIGNING_KEY` names a PEM file.

Production has no default and refuses to seal without one. Local and test settings set
`AUDIT_CREATE_MISSING`, so the key (and the checkpoint directory) is created on first use
under `var/` (or the test's temporary directory), never at import time.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from governance.ledger import SigningKeyError, generate_signing_key, load_signing_key


def signing_key_write(path: Path) -> None:
    """Write a new key to `path`, readable by its owner only. Refuses to replace a key: a
    replaced key would make every block signed with it unverifiable. Two processes
    creating it at once end with one key (the file appears whole or not at all)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(generate_signing_key())
        os.link(temporary, path)  # fails if the key exists: nothing is overwritten
    finally:
        temporary.unlink(missing_ok=True)


def audit_signing_key_path() -> Path:
    if not settings.AUDIT_SIGNING_KEY:
        raise SigningKeyError(
            "AUDIT_SIGNING_KEY is not set: the audit cannot be sealed without an Ed25519 signing key "
            "(create one with `python manage.py generate_audit_signing_key --out PATH`)."
        )
    return Path(settings.AUDIT_SIGNING_KEY)


def audit_signing_key() -> Ed25519PrivateKey:
    """The configured signing key; `SigningKeyError` with a sentence when it is missing or
    is not an Ed25519 private key."""
    path = audit_signing_key_path()
    if settings.AUDIT_CREATE_MISSING and not path.exists():
        try:
            signing_key_write(path)
        except FileExistsError:
            pass  # another process created it first: use that one
    return load_signing_key(path)
