"""Block heads kept outside the database: one JSON line per block in
`AUDIT_CHECKPOINT_DIR/audit-checkpoints.jsonl` (in production a write-once mount, such as
an object-locked bucket), and a POST to `AUDIT_CHECKPOINT_WEBHOOK_URL` when set.

`AuditCheckpoint` remembers what was written and posted; whatever is missing is done by
the next seal. A failed post is logged and retried, and never stops sealing.
"""

import json
import logging
import os
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from governance.ledger import LedgerError, SealedBlock
from governance.models import AuditBlock, AuditCheckpoint

from .records import sealed_block

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "audit-checkpoints.jsonl"
POSTS_PER_SEAL = 200


class CheckpointError(Exception):
    """The checkpoint directory or file cannot be used; the message says why."""


def checkpoint_line(block: AuditBlock) -> str:
    return json.dumps(sealed_block(block).to_document(), sort_keys=True, separators=(",", ":")) + "\n"


def checkpoint_dir() -> Path:
    directory = Path(settings.AUDIT_CHECKPOINT_DIR)
    if settings.AUDIT_CREATE_MISSING:
        directory.mkdir(parents=True, exist_ok=True)
    return directory


def checkpoints_write(blocks: Iterable[AuditBlock]) -> int:
    """Append the heads of `blocks` (in chain order) to the checkpoint file, then mark them
    written. Raises `CheckpointError` when the directory cannot be written."""
    blocks = list(blocks)
    if not blocks:
        return 0
    directory = checkpoint_dir()
    try:
        with open(directory / CHECKPOINT_FILE, "a", encoding="utf-8") as handle:
            handle.writelines(checkpoint_line(block) for block in blocks)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise CheckpointError(
            f"The audit checkpoint file in {directory} cannot be written: {exc.strerror or exc}."
        ) from exc
    now = timezone.now()
    for block in blocks:
        AuditCheckpoint.objects.update_or_create(block=block, defaults={"written_at": now})
    return len(blocks)


def checkpoints_pending_write() -> int:
    """Write the heads of every block no line was written for yet (a seal that stopped
    after committing its block, or whose directory was unwritable)."""
    pending = AuditBlock.objects.exclude(checkpoint__written_at__isnull=False).order_by("kind", "number")
    return checkpoints_write(pending)


def checkpoints_pending_post() -> int:
    """POST the heads not posted yet to the webhook, oldest first; stop at the first
    failure (kept for the next seal). Returns how many were posted."""
    url = settings.AUDIT_CHECKPOINT_WEBHOOK_URL
    if not url:
        return 0
    pending = AuditCheckpoint.objects.filter(posted_at__isnull=True).select_related("block")
    posted = 0
    for checkpoint in pending.order_by("block__kind", "block__number")[:POSTS_PER_SEAL]:
        body = checkpoint_line(checkpoint.block).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.AUDIT_CHECKPOINT_WEBHOOK_TIMEOUT):  # nosec B310
                pass
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            logger.warning("Audit checkpoint post for %s failed; the next seal retries it: %s", checkpoint.block, exc)
            checkpoint.post_error = str(exc)[:500]
            checkpoint.save(update_fields=["post_error"])
            break
        checkpoint.posted_at, checkpoint.post_error = timezone.now(), ""
        checkpoint.save(update_fields=["posted_at", "post_error"])
        posted += 1
    return posted


def checkpoints_read(directory: Path) -> Iterator[tuple[int, SealedBlock | str]]:
    """The checkpoint file's lines as sealed blocks (or the sentence saying why a line is
    not one), with their line numbers. `CheckpointError` when the directory is missing or
    the file cannot be read; no file yet means no checkpoints."""
    if not directory.is_dir():
        raise CheckpointError(f"The checkpoint directory {directory} does not exist or is not a directory.")
    path = directory / CHECKPOINT_FILE
    if not path.exists():
        return
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.readlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"The checkpoint file {path} cannot be read: {exc}.") from exc
    for number, line in enumerate(lines, start=1):
        document: Any
        try:
            document = json.loads(line)
            yield number, SealedBlock.from_document(document)
        except (ValueError, LedgerError) as exc:  # not JSON, or not a block head
            yield number, f"line {number} is not a block head: {exc}"
