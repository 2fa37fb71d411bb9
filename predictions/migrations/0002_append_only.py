from django.db import migrations

from loanportal.audit import append_only_trigger_operations, guarded_update_trigger_operations


class Migration(migrations.Migration):
    dependencies = [("predictions", "0001_initial"), ("governance", "0003_append_only")]
    operations = [
        *append_only_trigger_operations("predictions_outcome"),
        *guarded_update_trigger_operations(
            "predictions_decisionlog", clearable_columns=("inputs", "features"), stamp_column="inputs_removed_at"
        ),
    ]
