#!/bin/bash
# First start of the PostgreSQL volume only (docker-entrypoint-initdb.d): Siaga's roles and
# database (infra/postgres/bootstrap.sql) and Keycloak's, passwords read from the secret files.
# SIAGA_INIT_SECRETS and SIAGA_INIT_BOOTSTRAP move the inputs (tests/test_compose.py).
set -euo pipefail
secrets=${SIAGA_INIT_SECRETS:-/run/secrets}
psql -v ON_ERROR_STOP=1 --no-psqlrc --username postgres --dbname postgres \
  -v owner_password="$(cat "$secrets/siaga_owner_password")" \
  -v app_password="$(cat "$secrets/siaga_web_password")" \
  -v backup_password="$(cat "$secrets/siaga_backup_password")" \
  -f "${SIAGA_INIT_BOOTSTRAP:-/siaga/bootstrap.sql}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username postgres --dbname postgres \
  -v keycloak_password="$(cat "$secrets/keycloak_db_password")" <<'SQL'
SELECT format('CREATE ROLE keycloak LOGIN PASSWORD %L', :'keycloak_password') \gexec
CREATE DATABASE keycloak OWNER keycloak;
SQL
