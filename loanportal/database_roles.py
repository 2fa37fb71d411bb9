"""Least privilege on PostgreSQL: the portal runs as a role that owns nothing.

Two roles (created once by a DBA with `deploy/postgres/create_roles.sql`):

- the **owner** (`DATABASE_MIGRATE_URL`) owns the schema: migrations run as it;
- the **runtime** role (`DATABASE_URL` of web, worker and beat) owns no table. On audit
  tables it may only SELECT and INSERT (plus UPDATE of the columns retention clears on the
  decision log); on every other table SELECT, INSERT, UPDATE and DELETE. Not being the owner,
  it cannot `ALTER TABLE ... DISABLE TRIGGER`, `DROP` or `TRUNCATE` anything.

`runtime_privileges_grant` computes the grants from the models, so a new audit table is
covered by the next run after `migrate` (`python manage.py grant_runtime_privileges`, run by
the owner; docker-compose.yml's `migrate` service does both).
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Field
from psycopg2 import sql

from .audit import audit_models

FULL = ("SELECT", "INSERT", "UPDATE", "DELETE")
APPEND_ONLY = ("SELECT", "INSERT")
READ_ONLY = ("SELECT",)
MIGRATIONS_TABLE = "django_migrations"


@dataclass(frozen=True)
class TableGrant:
    table: str
    privileges: tuple[str, ...]
    # Columns the runtime role may UPDATE on an otherwise append-only table.
    update_columns: tuple[str, ...] = ()


def runtime_table_grants(tables: list[str]) -> list[TableGrant]:
    """The runtime role's privileges on each of `tables` (the schema's tables)."""
    audit = {model._meta.db_table: model for model in audit_models()}
    grants = []
    for table in sorted(tables):
        if table in audit:
            fields = (audit[table]._meta.get_field(name) for name in getattr(audit[table], "clearable_fields", ()))
            clearable = tuple(field.column for field in fields if isinstance(field, Field) and field.column)
            grants.append(TableGrant(table, APPEND_ONLY, clearable))
        elif table == MIGRATIONS_TABLE:
            grants.append(TableGrant(table, READ_ONLY))
        else:
            grants.append(TableGrant(table, FULL))
    return grants


class DatabaseRoleError(Exception):
    """The grants cannot be applied (wrong database, unknown role); the message says why."""


def runtime_privileges_grant(*, role: str) -> list[TableGrant]:
    """Give `role` exactly the runtime privileges on every table of the current schema,
    revoking whatever it had before, in one transaction. Run as the tables' owner."""
    if connection.vendor != "postgresql":
        raise DatabaseRoleError(f"Database roles are a PostgreSQL feature; this database is {connection.vendor}.")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise DatabaseRoleError(
                f"There is no database role {role!r}; create it first (deploy/postgres/create_roles.sql)."
            )
        cursor.execute("SELECT current_schema()")
        schema = sql.Identifier(cursor.fetchone()[0])
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        grants = runtime_table_grants([row[0] for row in cursor.fetchall()])
        grantee = sql.Identifier(role)
        cursor.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, grantee))
        cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, grantee))
        for grant in grants:
            table = sql.Identifier(grant.table)
            privileges = sql.SQL(", ").join(sql.SQL(p) for p in grant.privileges)
            cursor.execute(sql.SQL("GRANT {} ON {} TO {}").format(privileges, table, grantee))
            if grant.update_columns:
                columns = sql.SQL(", ").join(sql.Identifier(c) for c in grant.update_columns)
                cursor.execute(sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(columns, table, grantee))
        cursor.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, grantee))
    return grants
