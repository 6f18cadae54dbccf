"""Elections: election days and the regencies they concern (reference-like tables, keyed by
the election, like the province's alert defaults: set by a platform admin or a province
supervisor, not owned by a regency).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "siaga_app"  # written out: a migration keeps meaning what it meant


def upgrade() -> None:
    op.create_table(
        "elections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("voting_day", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_elections_province_code_provinces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elections")),
    )
    op.create_index(
        op.f("ix_elections_province_code_voting_day"),
        "elections",
        ["province_code", "voting_day"],
        unique=False,
    )
    op.create_table(
        "election_regencies",
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("regency_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["election_id"],
            ["elections.id"],
            name=op.f("fk_election_regencies_election_id_elections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["regency_id"],
            ["tenants.id"],
            name=op.f("fk_election_regencies_regency_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("election_id", "regency_id", name=op.f("pk_election_regencies")),
    )
    op.create_index(
        op.f("ix_election_regencies_regency_id"),
        "election_regencies",
        ["regency_id"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        grants = "SELECT, INSERT, UPDATE, DELETE"
        op.execute(f"GRANT {grants} ON elections, election_regencies TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index(op.f("ix_election_regencies_regency_id"), table_name="election_regencies")
    op.drop_table("election_regencies")
    op.drop_index(op.f("ix_elections_province_code_voting_day"), table_name="elections")
    op.drop_table("elections")
