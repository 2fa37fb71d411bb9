"""Beat schedule rows that data migrations create for django-celery-beat (editable in the
admin afterwards), all made one way: an enabled `PeriodicTask` on a UTC crontab or on an
interval, created if absent (an operator's edits survive a re-run) and removed on reverse.

A migration that adds a scheduled job declares its rows and uses `beat_rows_operation`, as
migrations use `loanportal.audit` for the append-only triggers.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import migrations


@dataclass(frozen=True)
class BeatRow:
    """One scheduled job: the task's name in the admin, the Celery task and its kwargs, and
    either a crontab (`minute`, `hour`, `day_of_month`, UTC) or `every_minutes`."""

    name: str
    task: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    minute: str = "*"
    hour: str = "*"
    day_of_month: str = "*"
    every_minutes: int | None = None


def beat_rows_operation(*rows: BeatRow) -> migrations.RunPython:
    def create(apps: Any, schema_editor: Any) -> None:
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        for row in rows:
            defaults: dict[str, Any] = {"task": row.task, "kwargs": json.dumps(row.kwargs), "enabled": True}
            if row.every_minutes is not None:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=row.every_minutes, period="minutes"
                )
            else:
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=row.minute,
                    hour=row.hour,
                    day_of_week="*",
                    day_of_month=row.day_of_month,
                    month_of_year="*",
                    timezone="UTC",
                )
            PeriodicTask.objects.get_or_create(name=row.name, defaults=defaults)

    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[r.name for r in rows]).delete()

    return migrations.RunPython(create, remove)
