"""The job queue of `siaga worker` (procrastinate's tables and functions), PostgreSQL only.

SQLite (development) keeps its queue in the web process's memory, so nothing is created there.
The schema comes from the installed procrastinate (pinned in pyproject.toml); moving to a newer
procrastinate means a migration applying its own migration files in order.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:10:00
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant
TABLES = (
    "procrastinate_workers",
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
    "procrastinate_events",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # Sent as one script; psycopg reads ``%`` as a placeholder even without parameters.
    bind.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    # The workers connect as the app's role (no owner rights, like the web).
    for table in TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute(
        """
        DO $$
        DECLARE f record;
        BEGIN
          FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
          LOOP
            EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE';
          END LOOP;
        END $$;
        """
    )
    for type_name in (
        "procrastinate_job_to_defer_v1",
        "procrastinate_job_event_type",
        "procrastinate_job_status",
    ):
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
