"""What the job commands (`run_drift`, `run_fairness`, `run_performance`, `run_estimated_performance`,
`run_data_quality`) share."""

import json
import uuid
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from ..errors import MonitoringError
from ..incidents import incident_record_job_failure
from ..jobs import JOBS
from ..models import JobKind, MonitoringRun, RunStatus, Trigger
from ..runs import monitoring_run_execute, monitoring_window_request
from ..selectors import scheduled_window_hours
from ..serializers import RunDetailSerializer

JOB_HELP = (
    "Runs for every version to monitor in the window (the production version and any version that decided "
    "applications in it) and prints the runs as one JSON object. A window already done is not computed again: "
    "its stored result is printed. Exits with status 1 when a run failed; a job-failure incident is opened."
)


class JobCommand(BaseCommand):
    """Run one monitoring job now (see `JOB_HELP`)."""

    kind: JobKind

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--model", required=True, help="Registered model name, e.g. loan-default.")
        parser.add_argument(
            "--window-hours",
            type=int,
            help="Window length in hours (default: the window_hours of this job's enabled beat schedule, "
            f"else {JOBS[self.kind].window_hours}); the window ends at the start of the current hour (UTC), "
            "or at --end.",
        )
        parser.add_argument(
            "--end",
            type=datetime.fromisoformat,
            help="End of the window, on the hour with a time zone (e.g. 2026-11-21T10:00:00+00:00), for a past window.",
        )

    def _window_hours(self, given: int | None) -> int:
        # Read when the command runs, not when its parser is built: `--help` needs no database.
        if given is not None:
            return given
        scheduled = scheduled_window_hours(kind=self.kind)
        return JOBS[self.kind].window_hours if scheduled is None else scheduled

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            requested = monitoring_window_request(
                kind=self.kind,
                model_name=options["model"],
                hours=self._window_hours(options["window_hours"]),
                end=options["end"],
                trigger=Trigger.COMMAND,
                queue=False,
            )
        except MonitoringError as error:
            raise CommandError(error.message) from None
        claimed_by = f"command:{uuid.uuid4().hex}"
        finished: list[MonitoringRun] = []
        for run in requested.runs:
            try:
                run = monitoring_run_execute(run_id=run.pk, claimed_by=claimed_by)
            except Exception as exc:
                incident_record_job_failure(job=self.kind, error=f"{type(exc).__name__}: {exc}", run_id=run.pk)
                run.refresh_from_db()
            finished.append(run)
        result = {
            "job": self.kind,
            "model": requested.registered_model.name,
            "window_start": requested.window.start,
            "window_end": requested.window.end,
            "runs": RunDetailSerializer(finished, many=True).data,
        }
        self.stdout.write(json.dumps(result, cls=DjangoJSONEncoder, indent=2))
        failed = [run.pk for run in finished if run.status == RunStatus.FAILED]
        if failed:
            raise CommandError(
                f"Monitoring run(s) {', '.join(map(str, failed))} failed; a job-failure incident is open."
            )
