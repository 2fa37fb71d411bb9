"""The retraining triggers' daily schedule row."""

from django.db import migrations

from loanportal.beat_schedule import BeatRow, beat_rows_operation

ROWS = [
    # After the night's monitoring (performance 01:45, estimated performance 01:55) and
    # retention (02:30), whose incidents and outcomes the triggers read.
    BeatRow("Governance: retraining triggers, daily", "governance.retraining_triggers", minute="0", hour="3"),
]


class Migration(migrations.Migration):
    dependencies = [("governance", "0041_retraining_append_only"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [beat_rows_operation(*ROWS)]
