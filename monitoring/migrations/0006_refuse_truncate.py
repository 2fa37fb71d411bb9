from django.db import migrations

from loanportal.audit import truncate_refusal_operations


class Migration(migrations.Migration):
    """TRUNCATE fires no row-level trigger: refuse it on incident and policy history and on results too."""

    dependencies = [("monitoring", "0005_results_append_only"), ("governance", "0005_refuse_truncate")]
    operations = truncate_refusal_operations(
        "monitoring_historicalincident",
        "monitoring_historicalmonitoringpolicy",
        "monitoring_driftresult",
        "monitoring_fairnessresult",
        "monitoring_performancecohort",
    )
