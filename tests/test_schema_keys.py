"""Citus-ready keys: every tenant table has tenant_id leading its primary key, foreign keys
and unique constraints. The checker is tested on a bad model too, so it can fail."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, MetaData, String, Table, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from siaga_platform.db.base import Base
from siaga_platform.tenancy.models import TenantScoped
from siaga_tenants.all_models import metadata


def tenant_tables() -> list[Table]:
    tables = []
    for mapper in Base.registry.mappers:
        if issubclass(mapper.class_, TenantScoped):
            tables.append(mapper.local_table)
    return tables


def key_problems(table: Table, tenant_table_names: set[str] | None = None) -> list[str]:
    """A foreign key to another tenant table must lead with tenant_id (co-located shards);
    one to a reference table (region codes, the tenant registry) need not."""
    tenant_names = tenant_table_names or {t.name for t in tenant_tables()} | {table.name}
    problems = []
    pk = [c.name for c in table.primary_key.columns]
    if not pk or pk[0] != "tenant_id":
        problems.append(f"{table.name}: primary key {pk} does not start with tenant_id")
    for fk in table.foreign_key_constraints:
        columns = [c.name for c in fk.columns]
        if fk.referred_table.name not in tenant_names:
            continue
        if columns[0] != "tenant_id":
            problems.append(f"{table.name}: foreign key {columns} does not start with tenant_id")
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = [c.name for c in constraint.columns]
            if columns[0] != "tenant_id":
                problems.append(f"{table.name}: unique {columns} does not start with tenant_id")
    for index in table.indexes:
        columns = [c.name for c in index.columns]
        if index.unique and columns[0] != "tenant_id":
            problems.append(f"{table.name}: unique index {columns} lacks tenant_id first")
    return problems


def test_every_tenant_table_keys_on_tenant_id() -> None:
    tables = tenant_tables()
    assert {t.name for t in tables} >= {"audit_events", "tenant_settings"}
    assert all(t.name in metadata.tables for t in tables)
    problems = [p for t in tables for p in key_problems(t)]
    assert problems == []


def test_checker_catches_a_table_that_breaks_the_rule() -> None:
    class Scratch(DeclarativeBase):
        metadata = MetaData()

    class _Tenants(Scratch):
        __tablename__ = "tenants"
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True)

    class Parent(TenantScoped, Scratch):
        __tablename__ = "parents"
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True)

    class BadChild(TenantScoped, Scratch):
        __tablename__ = "bad_children"
        __table_args__ = (UniqueConstraint("number"),)
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
        number: Mapped[str] = mapped_column(String(20))
        parent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parents.id"))

    scratch_tenant_tables = {"parents", "bad_children"}
    problems = key_problems(BadChild.__table__, scratch_tenant_tables)  # type: ignore[arg-type]
    assert any("foreign key ['parent_id']" in p for p in problems)
    assert any("unique ['number']" in p for p in problems)
    assert key_problems(Parent.__table__, scratch_tenant_tables) == []  # type: ignore[arg-type]
