import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.ledger import SigningKeyError
from governance.sealing.checkpoints import CheckpointError
from governance.sealing.services import audit_seal

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Seal every audit record not in a block yet into signed Merkle blocks (one chain per kind), write the new "
        "block heads to the checkpoint file and post them to AUDIT_CHECKPOINT_WEBHOOK_URL; prints a JSON summary."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = audit_seal()
        except SigningKeyError as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        except CheckpointError as exc:
            raise CommandError(f"The records are sealed, but: {exc}") from None
        summary = {
            "blocks": [
                {"kind": b.kind, "number": b.number, "records": b.record_count, "block_hash": b.block_hash}
                for b in result.blocks
            ],
            "records": result.records(),
            "checkpoints_written": result.checkpoints_written,
            "checkpoints_posted": result.checkpoints_posted,
        }
        self.stdout.write(json.dumps(summary, indent=2))
