"""The challenger jobs' schedule rows: shadow scoring hourly, shadow comparisons daily."""

from django.db import migrations

SCHEDULES = [
    # The previous hour's decisions, after drift (:05) and data quality (:10).
    ("Monitoring: challenger shadow scoring, hourly", "monitoring.shadow_score", "20", "*"),
    # Each shadow version against production since its shadow started, after the night's jobs.
    ("Monitoring: challenger comparison, daily", "monitoring.shadow_comparisons", "15", "3"),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "kwargs": "{}", "crontab": crontab, "enabled": True}
        )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0031_challenger_score"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedules, remove_schedules)]
