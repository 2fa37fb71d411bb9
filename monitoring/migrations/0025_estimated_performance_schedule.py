"""The estimated-performance job's daily schedule row."""

from django.db import migrations

from loanportal.beat_schedule import BeatRow, beat_rows_operation

ROWS = [
    # Yesterday's 24 hours, after the fairness (01:15) and performance (01:45) runs.
    BeatRow(
        "Monitoring: estimated performance, daily",
        "monitoring.runs_schedule",
        {"kind": "estimated_performance", "window_hours": 24},
        minute="55",
        hour="1",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0025_estimated_performance"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [beat_rows_operation(*ROWS)]
