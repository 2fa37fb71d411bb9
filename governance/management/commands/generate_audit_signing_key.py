from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.ledger import key_id, load_signing_key
from governance.sealing.keys import signing_key_write

USAGE_ERROR = 2


class Command(BaseCommand):
    help = (
        "Create the audit's Ed25519 signing key (unencrypted PKCS#8 PEM, mode 0600) at --out and print its key "
        "id; point AUDIT_SIGNING_KEY at it. Refuses to replace an existing file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="Where to write the private key.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["out"]
        try:
            signing_key_write(path)
        except FileExistsError:
            raise CommandError(
                f"{path} already exists; a replaced key would leave its blocks unverifiable, so it is kept.",
                returncode=USAGE_ERROR,
            ) from None
        except OSError as exc:
            raise CommandError(f"{path} cannot be written: {exc.strerror or exc}.", returncode=USAGE_ERROR) from None
        self.stdout.write(f"Wrote the audit signing key {key_id(load_signing_key(path).public_key())} to {path}.")
