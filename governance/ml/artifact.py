"""Model artifacts: one JSON document per version, never a pickle.

The document holds the feature schema (how to encode an application) and the LightGBM
model in LightGBM's own text format. Reading it parses JSON and LightGBM text, so a
tampered or hostile file cannot execute code; its SHA-256 is checked before every load
and a mismatch is refused.

Files are content-addressed: `<model name>/<sha256>.json` under the artifact directory.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ARTIFACT_FORMAT = "loanportal.lightgbm-json"
FORMAT_VERSION = 1


class ArtifactError(Exception):
    """The artifact cannot be used; the message says why."""


class ArtifactIntegrityError(ArtifactError):
    """The file on disk is not the file that was registered."""


def artifact_document(*, feature_schema: dict[str, Any], lightgbm_model: str) -> dict[str, Any]:
    return {
        "format": ARTIFACT_FORMAT,
        "format_version": FORMAT_VERSION,
        "feature_schema": feature_schema,
        "lightgbm_model": lightgbm_model,
    }


def write_artifact(directory: Path, model_name: str, document: dict[str, Any]) -> tuple[str, str, int]:
    """Store the document; returns (path relative to `directory`, SHA-256, size in bytes)."""
    content = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    sha256 = hashlib.sha256(content).hexdigest()
    relative = f"{model_name}/{sha256}.json"
    target = directory / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a reader never sees half a file.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, target)
    return relative, sha256, len(content)


def read_artifact(path: Path, expected_sha256: str) -> dict[str, Any]:
    """Read, verify and parse an artifact; raise `ArtifactError` on anything unexpected."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"Artifact {path} cannot be read: {exc.strerror or exc}") from exc
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected_sha256:
        raise ArtifactIntegrityError(
            f"Artifact {path} failed its integrity check: SHA-256 is {actual}, the registry "
            f"recorded {expected_sha256}. The file was changed after registration; refusing to load it."
        )
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(f"Artifact {path} is not a JSON model document; refusing to load it.") from exc
    if not isinstance(document, dict) or document.get("format") != ARTIFACT_FORMAT:
        raise ArtifactError(f"Artifact {path} is not in the {ARTIFACT_FORMAT} format; refusing to load it.")
    if document.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"Artifact {path} has format version {document.get('format_version')!r}; expected {FORMAT_VERSION}."
        )
    return document
