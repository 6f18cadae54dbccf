#!/bin/bash
# First start of the PostgreSQL volume only (docker-entrypoint-initdb.d): Siaga's roles and
# database (infra/postgres/bootstrap.sql) and Keycloak's, passwords read from the secret files.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username postgres \
  -v owner_password="$(cat /run/secrets/siaga_owner_password)" \
  -v app_password="$(cat /run/secrets/siaga_web_password)" \
  -f /siaga/bootstrap.sql
psql -v ON_ERROR_STOP=1 --username postgres \
  -v keycloak_password="$(cat /run/secrets/keycloak_db_password)" <<'SQL'
SELECT format('CREATE ROLE keycloak LOGIN PASSWORD %L', :'keycloak_password') \gexec
CREATE DATABASE keycloak OWNER keycloak;
SQL
