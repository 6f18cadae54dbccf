"""Per regency, election and local day, the count of residents who would be turned away on
voting day (the history the alert "turned away stops falling" reads). A tenant table behind
RLS on PostgreSQL, written by the app's role (the alert evaluation, once a day).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 08:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant
TABLE = "election_turned_away_days"
_SCOPE = (
    "tenant_id IN (SELECT unnest(string_to_array("
    "nullif(current_setting('app.{}_tenant_ids', true), ''), ','))::uuid)"
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("turned_away", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_election_turned_away_days_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "election_id", "day", name=op.f("pk_election_turned_away_days")
        ),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    read, write = _SCOPE.format("read"), _SCOPE.format("write")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {TABLE}_read ON {TABLE} FOR SELECT USING ({read})")
    op.execute(f"CREATE POLICY {TABLE}_insert ON {TABLE} FOR INSERT WITH CHECK ({write})")
    op.execute(
        f"CREATE POLICY {TABLE}_update ON {TABLE} FOR UPDATE USING ({write}) WITH CHECK ({write})"
    )
    op.execute(f"CREATE POLICY {TABLE}_delete ON {TABLE} FOR DELETE USING ({write})")


def downgrade() -> None:
    op.drop_table(TABLE)
