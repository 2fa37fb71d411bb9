"""The audit seal's schedule row: every 5 minutes."""

from django.db import migrations

from loanportal.beat_schedule import BeatRow, beat_rows_operation

ROWS = [
    BeatRow("Audit: seal, every 5 minutes", "governance.audit_seal", every_minutes=5),
]


class Migration(migrations.Migration):
    dependencies = [("governance", "0050_audit_blocks"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [beat_rows_operation(*ROWS)]
