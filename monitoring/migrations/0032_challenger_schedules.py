"""The challenger jobs' schedule rows: shadow scoring hourly, shadow comparisons daily."""

from django.db import migrations

from loanportal.beat_schedule import BeatRow, beat_rows_operation

ROWS = [
    # The previous hour's decisions, after drift (:05) and data quality (:10).
    BeatRow("Monitoring: challenger shadow scoring, hourly", "monitoring.shadow_score", minute="20"),
    # Each shadow version against production since its shadow started, after the night's jobs.
    BeatRow("Monitoring: challenger comparison, daily", "monitoring.shadow_comparisons", minute="15", hour="3"),
]


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0031_challenger_score"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [beat_rows_operation(*ROWS)]
