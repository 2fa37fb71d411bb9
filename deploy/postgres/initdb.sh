#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (docker-compose.yml mounts it into /docker-entrypoint-initdb.d/): the portal's owner and
# runtime roles and its database, as deploy/postgres/create_roles.sql documents.
set -eu
psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set owner_password="$PORTAL_OWNER_PASSWORD" \
    --set runtime_password="$PORTAL_RUNTIME_PASSWORD" \
    --file /portal/create_roles.sql
