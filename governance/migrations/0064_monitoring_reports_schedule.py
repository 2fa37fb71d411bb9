"""The monthly monitoring reports' schedule row."""

from django.db import migrations

from loanportal.beat_schedule import BeatRow, beat_rows_operation

ROWS = [
    # On the 1st, for the month just ended, after the night's monitoring jobs (01:05-02:30).
    BeatRow(
        "Governance: monitoring reports, monthly", "governance.monitoring_reports", minute="0", hour="4", day_of_month="1"
    ),
]


class Migration(migrations.Migration):
    dependencies = [("governance", "0063_reports"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [beat_rows_operation(*ROWS)]
