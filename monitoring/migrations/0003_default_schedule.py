"""The default monitoring schedule, stored for django-celery-beat and editable in the admin.

Times are UTC. Windows are whole hours ending at the start of the hour the task runs in
(`monitoring.windows`), so the minute offsets leave decisions logged at the end of the
previous hour time to commit.
"""

import json

from django.db import migrations

SCHEDULE = [
    # name, task, kwargs, crontab (minute, hour)
    ("Monitoring: drift, hourly", "monitoring.runs_schedule", {"kind": "drift", "window_hours": 1}, ("5", "*")),
    # Fairness over the last 30 days: a day alone is too few decisions per group.
    (
        "Monitoring: fairness, daily",
        "monitoring.runs_schedule",
        {"kind": "fairness", "window_hours": 30 * 24},
        ("15", "1"),
    ),
    # Realized performance over the cohorts of the last 24 months, as outcomes mature.
    (
        "Monitoring: performance, daily",
        "monitoring.runs_schedule",
        {"kind": "performance", "window_hours": 730 * 24},
        ("45", "1"),
    ),
    ("Monitoring: decision-log retention, daily", "monitoring.retention", {}, ("30", "2")),
]


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, kwargs, (minute, hour) in SCHEDULE:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "kwargs": json.dumps(kwargs), "crontab": crontab, "enabled": True}
        )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_append_only"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
