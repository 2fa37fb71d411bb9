"""Reading a retraining run's sources: the model's labelled decisions and its parent's
training file.

Decisions are streamed as the drift job streams vectors: `values_list` through a
server-side cursor on PostgreSQL, `CHUNK_ROWS` at a time, never one model instance per
row; what is kept is column values (`data.DecisionColumns`).
"""

from datetime import datetime
from itertools import islice
from pathlib import Path

from loanportal.cyclic_gc import cyclic_gc_paused
from predictions.models import DecisionLog

from ..ml.dataset import Dataset, DatasetError, file_sha256, load_dataset
from ..models import ModelVersion, RegisteredModel
from .data import DecisionColumns

CHUNK_ROWS = 20_000


def labelled_decisions(*, registered_model: RegisteredModel, fields: list[str]) -> DecisionColumns:
    """Every decision of the model's versions with a recorded outcome, oldest first; those
    whose inputs retention removed are counted, not kept."""
    columns = DecisionColumns(fields=fields)
    # Each chunk is tens of thousands of fresh dicts, and the cyclic collector would walk the
    # growing heap again after every few thousand: a third of the read of half a million
    # decisions. Nothing read here makes a cycle.
    with cyclic_gc_paused():
        _stream(registered_model, columns)
    return columns


def _stream(registered_model: RegisteredModel, columns: DecisionColumns) -> None:
    rows = (
        DecisionLog.objects.filter(model_version__registered_model=registered_model, outcome__isnull=False)
        .order_by("created_at", "id")
        .values_list("inputs", "created_at", "outcome__defaulted")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    while chunk := list(islice(rows, CHUNK_ROWS)):
        columns.add(chunk)


def outcomes_since(*, registered_model: RegisteredModel, since: datetime) -> int:
    """Recorded outcomes of the model's decisions made after `since` (the end of a
    version's training data): labelled rows a retraining would have that it did not."""
    return DecisionLog.objects.filter(
        model_version__registered_model=registered_model, created_at__gt=since, outcome__isnull=False
    ).count()


def parent_training_file(*, version: ModelVersion) -> tuple[Dataset | None, str]:
    """The parent's training file when it is still at its recorded path with the SHA-256
    the version recorded, and a sentence saying why it is or is not included."""
    data = version.training_data
    recorded = data.get("path")
    if not recorded:
        return None, f"Not included: {version} records no path to its training file ({data.get('file', 'unnamed')})."
    path = Path(recorded)
    if not path.is_file():
        return None, f"Not included: {path} is no longer there."
    actual = file_sha256(path)
    if actual != data.get("sha256"):
        return (
            None,
            f"Not included: {path} has SHA-256 {actual}, not the {data.get('sha256')} {version} was trained on.",
        )
    try:
        dataset = load_dataset(path)
    except DatasetError as exc:
        return None, f"Not included: {exc}."
    return dataset, f"Included: {path} ({len(dataset.frame)} rows, SHA-256 matches {version}'s fingerprint)."
