-- Least-privilege roles for the portal (README "Database roles"). Run once, as a superuser
-- or a role with CREATEROLE and CREATEDB, before the first migrate:
--
--   psql -v owner_password=... -v runtime_password=... -f deploy/postgres/create_roles.sql
--
-- portal_owner   owns the database and every table; migrations run as it (DATABASE_MIGRATE_URL).
-- portal_runtime owns nothing; web, worker and beat connect as it (DATABASE_URL). After each
--                migrate, `python manage.py grant_runtime_privileges --role portal_runtime`
--                (as portal_owner) gives it SELECT/INSERT on audit tables and DML elsewhere.
-- Not being an owner or a superuser, portal_runtime can neither ALTER TABLE ... DISABLE TRIGGER,
-- nor TRUNCATE, DROP or DELETE from audit tables.

CREATE ROLE portal_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE portal_runtime LOGIN PASSWORD :'runtime_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE DATABASE portal OWNER portal_owner;

\connect portal
-- Only the owner creates objects in the schema; the runtime role may use what it is granted.
ALTER SCHEMA public OWNER TO portal_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO portal_runtime;
