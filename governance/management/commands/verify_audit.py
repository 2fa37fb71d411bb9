import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from governance.ledger import SealedBlock, SigningKeyError, load_signing_key
from governance.sealing.checkpoints import CheckpointError, checkpoints_read
from governance.sealing.keys import audit_signing_key_path
from governance.sealing.kinds import KINDS, KINDS_BY_NAME
from governance.sealing.verify import audit_verify

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Recompute every sealed audit record's leaf, every block's Merkle root, chain link and signature, and "
        "compare the chain with the checkpoints outside the database. Prints one JSON object (per kind: blocks, "
        "records, first and last sealed time, mismatches); exits 1 on any mismatch, 2 on unusable input."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--kind", choices=sorted(KINDS_BY_NAME), help="Verify one kind only (default: all).")
        parser.add_argument(
            "--checkpoints",
            type=Path,
            help="Directory holding audit-checkpoints.jsonl (default: AUDIT_CHECKPOINT_DIR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["checkpoints"] or Path(settings.AUDIT_CHECKPOINT_DIR)
        try:
            public_key = load_signing_key(audit_signing_key_path()).public_key()
            lines = list(checkpoints_read(directory))
        except (SigningKeyError, CheckpointError) as exc:
            raise CommandError(str(exc), returncode=USAGE_ERROR) from None
        checkpoints = [item for _, item in lines if isinstance(item, SealedBlock)]
        unreadable = [item for _, item in lines if isinstance(item, str)]
        kinds = [KINDS_BY_NAME[options["kind"]]] if options["kind"] else list(KINDS)
        result = audit_verify(public_key=public_key, checkpoints=checkpoints, kinds=kinds)
        result["checkpoints"] = {"directory": str(directory), "blocks": len(checkpoints), "unreadable": unreadable}
        result["ok"] = result["ok"] and not unreadable
        self.stdout.write(json.dumps(result, indent=2))
        if not result["ok"]:
            raise CommandError("The sealed audit does not verify: see the mismatches above.", returncode=1)
