"""The estimated-performance job's daily schedule row (see `0003_default_schedule`)."""

import json

from django.db import migrations

NAME = "Monitoring: estimated performance, daily"
# Yesterday's 24 hours, after the fairness (01:15) and performance (01:45) runs.
KWARGS = {"kind": "estimated_performance", "window_hours": 24}
MINUTE, HOUR = "55", "1"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=MINUTE, hour=HOUR, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "monitoring.runs_schedule", "kwargs": json.dumps(KWARGS), "crontab": crontab, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0025_estimated_performance"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
