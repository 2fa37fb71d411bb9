from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.ml.demo_data import generate, write_csv


class Command(BaseCommand):
    help = "Write synthetic loan applications with outcomes in the Loan Default CSV layout."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", required=True, help="CSV file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rows"] < 1000:
            raise CommandError("Generate at least 1000 rows: fewer cannot train and evaluate a model.")
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        frame = generate(options["rows"], options["seed"])
        write_csv(frame, out)
        self.stdout.write(
            f"Wrote {len(frame)} synthetic applications to {out} (default rate {frame['Status'].mean():.3f})."
        )
