"""Append-only audit records.

Audit rows are never edited or deleted through the app, the API or the admin. Three layers
enforce it:

- `AppendOnlyModel` refuses `save()` on an existing row and `delete()`;
- on PostgreSQL, triggers refuse UPDATE and DELETE row by row
  (`append_only_trigger_operations`) and TRUNCATE per statement (`truncate_refusal_operations`;
  row triggers do not fire on TRUNCATE), whoever runs them, the table's owner included;
- in production the portal connects as a role that owns nothing and may only SELECT and
  INSERT on audit tables (`loanportal.database_roles`), so it can neither switch the triggers
  off (ALTER TABLE ... DISABLE TRIGGER needs the owner) nor TRUNCATE or DELETE.

Every new audit table gets both trigger operations in the migration that creates it;
`tests/test_audit_records_are_append_only.py` fails for a table that lacks one.
"""

from typing import Any

from django.apps import apps
from django.db import migrations, models
from simple_history.models import HistoricalChanges


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit record."""


class AppendOnlyModel(models.Model):
    # Fields retention may set to NULL on an existing row; nothing else ever changes. The
    # table's trigger (`guarded_update_trigger_operations`) and the runtime role's column
    # grant (`loanportal.database_roles`) allow exactly these.
    clearable_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} records are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{type(self).__name__} records are append-only and cannot be deleted.")


_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION loanportal_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def audit_models() -> list[type[models.Model]]:
    """Every model whose rows are audit records: the append-only models and the field
    history (simple-history) of the governed models."""
    return sorted(
        (model for model in apps.get_models() if issubclass(model, AppendOnlyModel | HistoricalChanges)),
        key=lambda model: model._meta.label,
    )


def _run_on_postgresql(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # the SQL has literal % signs

    return run


def append_only_trigger_operations(*tables: str) -> list[migrations.RunPython]:
    """Migration operations that make `tables` append-only on PostgreSQL."""
    create = _REFUSE_FUNCTION + "".join(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION loanportal_refuse_change();\n"
        for table in tables
    )
    drop = "".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in tables)
    return [migrations.RunPython(_run_on_postgresql(create), _run_on_postgresql(drop), elidable=False)]


def truncate_refusal_operations(*tables: str) -> list[migrations.RunPython]:
    """Migration operations that refuse TRUNCATE on `tables` on PostgreSQL (a statement-level
    trigger: TRUNCATE skips the row-level UPDATE/DELETE triggers)."""
    create = _REFUSE_FUNCTION + "".join(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION loanportal_refuse_change();\n"
        for table in tables
    )
    drop = "".join(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};\n" for table in tables)
    return [migrations.RunPython(_run_on_postgresql(create), _run_on_postgresql(drop), elidable=False)]


def guarded_update_trigger_operations(
    table: str, clearable_columns: tuple[str, ...], stamp_column: str
) -> list[migrations.RunPython]:
    """Like `append_only_trigger_operations`, except that `clearable_columns` may be set to
    NULL (with `stamp_column` recording when): how retention removes personal data from a
    record whose other columns stay as written."""
    removed = "".join(f" - '{c}'" for c in (*clearable_columns, stamp_column))
    still_set = " OR ".join(f"NEW.{c} IS NOT NULL AND NEW.{c} IS DISTINCT FROM OLD.{c}" for c in clearable_columns)
    create = f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {still_set}
       OR (to_jsonb(NEW){removed}) IS DISTINCT FROM (to_jsonb(OLD){removed}) THEN
        RAISE EXCEPTION '% rows are append-only: only clearing {", ".join(clearable_columns)} is allowed', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_guard();
"""
    drop = f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; DROP FUNCTION IF EXISTS {table}_guard();"
    return [migrations.RunPython(_run_on_postgresql(create), _run_on_postgresql(drop), elidable=False)]
