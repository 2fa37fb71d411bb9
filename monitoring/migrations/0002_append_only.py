from django.db import migrations

from loanportal.audit import append_only_trigger_operations


class Migration(migrations.Migration):
    """Incident and policy history is audit: never rewritten, also not with raw SQL."""

    dependencies = [("monitoring", "0001_initial"), ("governance", "0003_append_only")]
    operations = append_only_trigger_operations(
        "monitoring_historicalincident", "monitoring_historicalmonitoringpolicy"
    )
