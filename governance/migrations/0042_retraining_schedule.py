"""The retraining triggers' daily schedule row (see monitoring `0003_default_schedule`)."""

from django.db import migrations

NAME = "Governance: retraining triggers, daily"
# After the night's monitoring (performance 01:45, estimated performance 01:55) and
# retention (02:30), whose incidents and outcomes the triggers read.
MINUTE, HOUR = "0", "3"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=MINUTE, hour=HOUR, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "governance.retraining_triggers", "kwargs": "{}", "crontab": crontab, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0041_retraining_append_only"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
