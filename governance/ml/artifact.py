"""Model artifacts: one JSON document per version, never a pickle.

The document holds the feature schema (how to encode an application) and the model, in
one of two kinds:

* `lightgbm`: the LightGBM model in LightGBM's own text format;
* `logistic`: the logistic-regression baseline as plain numbers (imputation values,
  categories, scaling, coefficients, intercept; see `logistic.logistic_export`).

Reading it parses JSON (and LightGBM text), so a tampered or hostile file cannot execute
code; its SHA-256 is checked before every load and a mismatch is refused.

Files are content-addressed: `<model name>/<sha256>.json` under the artifact directory.
"""

import hashlib
import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any


class ModelKind(StrEnum):
    LIGHTGBM = "lightgbm"
    LOGISTIC = "logistic"


# Each kind has its own format name, which says what the document holds, and model key.
ARTIFACT_FORMATS = {ModelKind.LIGHTGBM: "loanportal.lightgbm-json", ModelKind.LOGISTIC: "loanportal.logistic-json"}
MODEL_KEYS = {ModelKind.LIGHTGBM: "lightgbm_model", ModelKind.LOGISTIC: "logistic_model"}
FORMAT_VERSION = 1
_KINDS = {name: kind for kind, name in ARTIFACT_FORMATS.items()}


class ArtifactError(Exception):
    """The artifact cannot be used; the message says why."""


class ArtifactIntegrityError(ArtifactError):
    """The file on disk is not the file that was registered."""


def artifact_kind(document: dict[str, Any]) -> ModelKind:
    """The model kind of an artifact document (as `read_artifact` returns it)."""
    return _KINDS[document["format"]]


def artifact_document(
    *, feature_schema: dict[str, Any], lightgbm_model: str | None = None, logistic_model: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The artifact of one model: give exactly one of the LightGBM text or the logistic export."""
    if (lightgbm_model is None) == (logistic_model is None):
        raise ValueError("an artifact holds exactly one model: a LightGBM model or a logistic model")
    kind, model = (
        (ModelKind.LIGHTGBM, lightgbm_model) if lightgbm_model is not None else (ModelKind.LOGISTIC, logistic_model)
    )
    return {
        "format": ARTIFACT_FORMATS[kind],
        "format_version": FORMAT_VERSION,
        "feature_schema": feature_schema,
        MODEL_KEYS[kind]: model,
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
    if not isinstance(document, dict) or document.get("format") not in _KINDS:
        known = " format or the ".join(_KINDS)
        raise ArtifactError(f"Artifact {path} is not in the {known} format; refusing to load it.")
    if document.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"Artifact {path} has format version {document.get('format_version')!r}; expected {FORMAT_VERSION}."
        )
    return document
