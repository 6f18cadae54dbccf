"""Heartbeats partitioned by day on PostgreSQL (declarative RANGE partitions on ``taken_at``),
so old days are dropped as whole tables instead of deleted row by row; SQLite keeps its plain
table (development).

The key stays (tenant_id, device_id, taken_at): it already holds the partition key, so a beat
sent twice still conflicts with itself (ON CONFLICT in the intake) and tenant_id stays first
(Citus-ready). A DEFAULT partition catches a beat whose day has no partition yet (the worker
late): it is kept, and moved into its day's partition when that is created. The app's role
owns nothing, so two SECURITY DEFINER functions create and drop the day partitions for it; the
drop refuses any day a beat may still arrive for (7 days back, the intake's limit).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out: a migration keeps meaning what it meant, whatever the app's code becomes.
APP_ROLE = "siaga_app"
TABLE = "hardware_heartbeats"
DAYS_AHEAD = 7
_READ = (
    "tenant_id IN (SELECT unnest(string_to_array("
    "nullif(current_setting('app.read_tenant_ids', true), ''), ','))::uuid)"
)
_WRITE = (
    "tenant_id IN (SELECT unnest(string_to_array("
    "nullif(current_setting('app.write_tenant_ids', true), ''), ','))::uuid)"
)

COLUMNS = (
    "tenant_id uuid NOT NULL, device_id uuid NOT NULL, taken_at timestamp with time zone"
    " NOT NULL, status varchar(10) NOT NULL, readings json NOT NULL,"
    " received_at timestamp with time zone NOT NULL"
)
KEYS = (
    f"CONSTRAINT pk_{TABLE} PRIMARY KEY (tenant_id, device_id, taken_at),"
    f" CONSTRAINT fk_{TABLE}_tenant_id_tenants FOREIGN KEY (tenant_id)"
    " REFERENCES tenants (id) ON DELETE RESTRICT"
)

# Creates the missing day partitions of [first_day, last_day] (UTC days); the rows the DEFAULT
# partition holds for such a day move into it first (ATTACH refuses otherwise). Returns how
# many were created. Runs as the owner: the app's role may call it, not create tables.
ENSURE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TABLE}_ensure_partitions(first_day date, last_day date)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    day date;
    part text;
    lo timestamptz;
    hi timestamptz;
    made integer := 0;
BEGIN
    IF last_day - first_day > 400 THEN
        RAISE EXCEPTION 'at most 400 days of partitions at once (asked % to %)',
            first_day, last_day;
    END IF;
    FOR day IN SELECT d::date FROM generate_series(first_day, last_day, interval '1 day') AS d
    LOOP
        part := '{TABLE}_p' || to_char(day, 'YYYYMMDD');
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        lo := day::timestamp AT TIME ZONE 'UTC';
        hi := (day + 1)::timestamp AT TIME ZONE 'UTC';
        EXECUTE format('CREATE TABLE %I (LIKE {TABLE} INCLUDING DEFAULTS)', part);
        EXECUTE format(
            'WITH moved AS (DELETE FROM {TABLE}_default WHERE taken_at >= %L'
            ' AND taken_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
            lo, hi, part);
        EXECUTE format(
            'ALTER TABLE {TABLE} ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            part, lo, hi);
        made := made + 1;
    END LOOP;
    RETURN made;
END $$
"""

# Drops the day partitions (and DEFAULT rows) before ``before_day``; returns the days dropped.
# A day within 8 days of today is refused: beats up to 7 days old are still accepted.
DROP_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TABLE}_drop_partitions(before_day date)
RETURNS SETOF date LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    part record;
    day date;
BEGIN
    IF before_day > current_date - 8 THEN
        RAISE EXCEPTION 'heartbeats newer than 8 days are kept (asked to drop before %)',
            before_day;
    END IF;
    FOR part IN
        SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = '{TABLE}'::regclass AND c.relname ~ '^{TABLE}_p[0-9]{{8}}$'
        ORDER BY c.relname
    LOOP
        day := to_date(right(part.relname, 8), 'YYYYMMDD');
        CONTINUE WHEN day >= before_day;
        EXECUTE format('DROP TABLE %I', part.relname);
        RETURN NEXT day;
    END LOOP;
    DELETE FROM {TABLE}_default WHERE taken_at < before_day::timestamp AT TIME ZONE 'UTC';
END $$
"""


def _secure(table: str) -> None:
    """As migration 0004 left it: append-only for the app (SELECT, INSERT), behind RLS."""
    op.execute(f"GRANT SELECT, INSERT ON {table} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({_READ})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({_WRITE})")
    op.execute(
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({_WRITE}) WITH CHECK ({_WRITE})"
    )
    op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({_WRITE})")


def _set_old_aside() -> None:
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
    op.execute(f"ALTER TABLE {TABLE}_old RENAME CONSTRAINT pk_{TABLE} TO pk_{TABLE}_old")
    op.execute(
        f"ALTER TABLE {TABLE}_old RENAME CONSTRAINT fk_{TABLE}_tenant_id_tenants"
        f" TO fk_{TABLE}_old_tenant_id_tenants"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Nobody writes beats while they move: the intake waits for the lock (or the migration
    # gives up after its lock_timeout and is run again).
    op.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    _set_old_aside()
    op.execute(f"CREATE TABLE {TABLE} ({COLUMNS}, {KEYS}) PARTITION BY RANGE (taken_at)")
    op.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
    op.execute(ENSURE_FUNCTION)
    op.execute(DROP_FUNCTION)
    # Partitions for every day the old rows cover, and the days just ahead.
    op.execute(
        f"SELECT {TABLE}_ensure_partitions("
        f"least(coalesce((SELECT min(taken_at) FROM {TABLE}_old), now()),"
        f" now() - interval '8 days')::date,"
        f" (now() + interval '{DAYS_AHEAD} days')::date)"
    )
    op.execute(
        f"INSERT INTO {TABLE} (tenant_id, device_id, taken_at, status, readings, received_at)"
        f" SELECT tenant_id, device_id, taken_at, status, readings, received_at FROM {TABLE}_old"
    )
    op.execute(f"DROP TABLE {TABLE}_old")
    _secure(TABLE)
    for function in ("ensure_partitions(date, date)", "drop_partitions(date)"):
        op.execute(f"REVOKE ALL ON FUNCTION {TABLE}_{function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {TABLE}_{function} TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    _set_old_aside()
    op.execute(f"CREATE TABLE {TABLE} ({COLUMNS}, {KEYS})")
    op.execute(
        f"INSERT INTO {TABLE} (tenant_id, device_id, taken_at, status, readings, received_at)"
        f" SELECT tenant_id, device_id, taken_at, status, readings, received_at FROM {TABLE}_old"
    )
    op.execute(f"DROP TABLE {TABLE}_old")  # its partitions go with it
    op.execute(f"DROP FUNCTION {TABLE}_ensure_partitions(date, date)")
    op.execute(f"DROP FUNCTION {TABLE}_drop_partitions(date)")
    _secure(TABLE)
