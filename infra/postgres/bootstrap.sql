-- Roles for a Siaga database. Run once per cluster as a superuser:
--   psql -v owner_password=... -v app_password=... -v backup_password=... \
--        -f infra/postgres/bootstrap.sql
-- siaga_owner owns the schema and runs migrations (and restores); siaga_web is the login the
-- app uses: it owns nothing and is not BYPASSRLS, so row-level security always applies to it.
-- siaga_backup only reads, past row-level security (a dump must see every regency's rows).
\set ON_ERROR_STOP on
SELECT format('CREATE ROLE siaga_owner LOGIN CREATEDB CREATEROLE PASSWORD %L', :'owner_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'siaga_owner') \gexec
SELECT 'CREATE ROLE siaga_app NOLOGIN NOBYPASSRLS'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'siaga_app') \gexec
SELECT format('CREATE ROLE siaga_web LOGIN NOBYPASSRLS PASSWORD %L IN ROLE siaga_app', :'app_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'siaga_web') \gexec
SELECT format('CREATE ROLE siaga_backup LOGIN BYPASSRLS PASSWORD %L IN ROLE pg_read_all_data',
              :'backup_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'siaga_backup') \gexec
SELECT 'CREATE DATABASE siaga OWNER siaga_owner'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'siaga') \gexec
