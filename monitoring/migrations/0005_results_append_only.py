from django.db import migrations

from loanportal.audit import append_only_trigger_operations


class Migration(migrations.Migration):
    """Monitoring results are evidence: the database refuses to rewrite or delete them."""

    dependencies = [("monitoring", "0004_model_version_monitoring_index")]
    operations = append_only_trigger_operations(
        "monitoring_driftresult", "monitoring_fairnessresult", "monitoring_performancecohort"
    )
