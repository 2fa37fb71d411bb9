"""The daily review-clock job's schedule row (as monitoring's `0003_default_schedule`)."""

from django.db import migrations

NAME = "Governance: review due dates"
# Early each morning, before the monitoring jobs, so the day's incidents show at start of work.
MINUTE, HOUR = "0", "1"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=MINUTE, hour=HOUR, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "governance.review_due_dates", "kwargs": "{}", "crontab": crontab, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0061_periodic_review"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
