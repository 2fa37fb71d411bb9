from django.db import migrations

from loanportal.audit import truncate_refusal_operations


class Migration(migrations.Migration):
    """TRUNCATE fires no row-level trigger: refuse it on the decision log and outcomes too."""

    dependencies = [("predictions", "0004_decision_ids_time_ordered"), ("governance", "0005_refuse_truncate")]
    operations = truncate_refusal_operations("predictions_decisionlog", "predictions_outcome")
