"""The daily review-clock job's schedule row."""

from django.db import migrations

from loanportal.beat_schedule import BeatRow, beat_rows_operation

ROWS = [
    # Early each morning, before the monitoring jobs, so the day's incidents show at start of work.
    BeatRow("Governance: review due dates", "governance.review_due_dates", minute="0", hour="1"),
]


class Migration(migrations.Migration):
    dependencies = [("governance", "0061_periodic_review"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [beat_rows_operation(*ROWS)]
