"""The monthly monitoring reports' schedule row (as `0062_review_due_schedule`)."""

from django.db import migrations

NAME = "Governance: monitoring reports, monthly"
# On the 1st, for the month just ended, after the night's monitoring jobs (01:05-02:30).
MINUTE, HOUR, DAY = "0", "4", "1"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=MINUTE, hour=HOUR, day_of_week="*", day_of_month=DAY, month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "governance.monitoring_reports", "kwargs": "{}", "crontab": crontab, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0063_reports"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
