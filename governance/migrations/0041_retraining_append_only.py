"""The retraining policy's history is append-only like every history table; a retraining
run may change while it is pending or running, and is append-only once finished."""

from django.db import migrations

from loanportal.audit import append_only_trigger_operations, truncate_refusal_operations

FINISHED_RUN_GUARD = """
CREATE OR REPLACE FUNCTION governance_retrainingrun_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.state IN ('succeeded', 'failed', 'skipped') THEN
        RAISE EXCEPTION '% rows are append-only once finished: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_retrainingrun_append_only BEFORE UPDATE OR DELETE ON governance_retrainingrun
    FOR EACH ROW EXECUTE FUNCTION governance_retrainingrun_guard();
"""
DROP_GUARD = """
DROP TRIGGER IF EXISTS governance_retrainingrun_append_only ON governance_retrainingrun;
DROP FUNCTION IF EXISTS governance_retrainingrun_guard();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("governance", "0040_retraining")]
    operations = [
        *append_only_trigger_operations("governance_historicalretrainingpolicy"),
        *truncate_refusal_operations("governance_historicalretrainingpolicy", "governance_retrainingrun"),
        migrations.RunPython(_on_postgresql(FINISHED_RUN_GUARD), _on_postgresql(DROP_GUARD), elidable=False),
    ]
