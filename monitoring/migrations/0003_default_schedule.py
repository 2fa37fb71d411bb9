"""The default monitoring schedule, stored for django-celery-beat and editable in the admin.

Times are UTC. Windows are whole hours ending at the start of the hour the task runs in
(`monitoring.windows`), so the minute offsets leave decisions logged at the end of the
previous hour time to commit.
"""

from django.db import migrations

from loanportal.beat_schedule import BeatRow, beat_rows_operation

ROWS = [
    BeatRow("Monitoring: drift, hourly", "monitoring.runs_schedule", {"kind": "drift", "window_hours": 1}, minute="5"),
    # Fairness over the last 30 days: a day alone is too few decisions per group.
    BeatRow(
        "Monitoring: fairness, daily",
        "monitoring.runs_schedule",
        {"kind": "fairness", "window_hours": 30 * 24},
        minute="15",
        hour="1",
    ),
    # Realized performance over the cohorts of the last 24 months, as outcomes mature.
    BeatRow(
        "Monitoring: performance, daily",
        "monitoring.runs_schedule",
        {"kind": "performance", "window_hours": 730 * 24},
        minute="45",
        hour="1",
    ),
    BeatRow("Monitoring: decision-log retention, daily", "monitoring.retention", minute="30", hour="2"),
]


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_append_only"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [beat_rows_operation(*ROWS)]
