"""The tenant wall on a Citus cluster (issue 18): `make test-citus` starts a coordinator and two
workers (infra/citus/with-citus-cluster.sh); without one these tests are skipped.

One database for the module (tests/fixtures/citus.py: a cloned template cannot work on Citus),
migrated, seeded, then distributed by tenant_id. What is checked: the tenant tables really are
distributed (so the shards on the workers answer), and the scope the app writes reaches the
workers, for reads and for the policies' checks on writes.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit import service as audit
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.models import TenantSettings
from tests.fixtures import citus as fixtures
from tests.fixtures.citus import worker_ports
from tests.fixtures.databases import ScratchDatabase, alembic_config

# The module's distributed database (one per module: tests/fixtures/citus.py).
citus_urls = fixtures.citus_urls
cdb = fixtures.cdb


async def _tenant_id(db: ScratchDatabase, code: str) -> uuid.UUID:
    async with unit_of_work(db.session_factory) as session:
        tenant = await tenants.get_by_code(session, code)
        assert tenant is not None
        return tenant.id


async def _forge_audit_event(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """A raw insert for ``tenant_id``: only the shard's policy can refuse it."""
    await session.execute(
        text(
            "insert into audit_events (tenant_id, id, occurred_at, actor_subject, action,"
            " object_type, object_id, details) values (:t, :i, now(), 'x', 'forged',"
            " 'tenant', '62.12', '{}')"
        ),
        {"t": tenant_id, "i": uuid.uuid4()},
    )


async def _placement(db: ScratchDatabase, table: str) -> tuple[str, str]:
    async with db.engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "select partmethod::text, repmodel::text from pg_dist_partition"
                    " where logicalrelid = cast(:t as regclass)"
                ),
                {"t": table},
            )
        ).one()
        return row[0], row[1]


async def test_tenant_tables_are_distributed_and_the_registry_is_a_reference_table(
    cdb: ScratchDatabase,
) -> None:
    for table in ("tenant_settings", "audit_events", "applications", "letters", "stock_ledger"):
        assert (await _placement(cdb, table))[0] == "h", table
    assert (await _placement(cdb, "tenants"))[1] == "t"
    assert (await _placement(cdb, "regencies"))[1] == "t"
    async with cdb.engine.connect() as connection:
        workers = await connection.scalar(
            text(
                "select count(distinct nodeport) from pg_dist_shard_placement p"
                " join pg_dist_shard s using (shardid)"
                " where s.logicalrelid = 'tenant_settings'::regclass"
            )
        )
    assert workers == len(worker_ports())


async def test_scope_reaches_the_workers_through_the_orm_wall(cdb: ScratchDatabase) -> None:
    kapuas, mura = await _tenant_id(cdb, "62.03"), await _tenant_id(cdb, "62.12")
    expected = {}
    for scope in ({kapuas}, {kapuas, mura}):
        async with cdb.session_factory() as session:
            await enter_scope(session, TenantScope.read_only(scope))
            rows = (await session.execute(text("select tenant_id from tenant_settings"))).all()
            expected[len(scope)] = sorted(r[0] for r in rows)
    assert expected == {1: [kapuas], 2: sorted([kapuas, mura])}
    async with cdb.session_factory() as session:
        assert await session.scalar(text("select count(*) from tenant_settings")) == 0


async def test_set_config_alone_does_not_reach_the_workers(cdb: ScratchDatabase) -> None:
    # Why rls.write_scope_settings uses SET LOCAL: the old way leaves the shards unscoped.
    mura = await _tenant_id(cdb, "62.12")
    async with cdb.engine.connect() as connection, connection.begin():
        await connection.execute(
            text("select set_config('app.read_tenant_ids', :t, true)"), {"t": str(mura)}
        )
        assert await connection.scalar(text("select count(*) from tenant_settings")) == 0


async def test_writes_are_checked_on_the_shards(cdb: ScratchDatabase) -> None:
    kapuas, mura = await _tenant_id(cdb, "62.03"), await _tenant_id(cdb, "62.12")
    async with unit_of_work(cdb.session_factory) as session:
        await enter_scope(session, TenantScope.single(mura))
        await audit.record(
            session,
            tenant_id=mura,
            actor_subject="citus",
            action="test",
            object_type="x",
            object_id=str(uuid.uuid4()),
        )
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.read_only({mura}))
        actions = await session.scalar(
            text("select count(*) from audit_events where actor_subject = 'citus'")
        )
        assert actions >= 1
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.single(kapuas))
        with pytest.raises(ProgrammingError, match="row-level security"):
            await _forge_audit_event(session, mura)


@pytest.fixture
def citus_late_urls() -> tuple[str, str, str]:
    """An existing deployment: migrated on plain PostgreSQL (0026 left 0011's sub-select
    policies), then the extension, then distribute.sql (which rewrites the policies first)."""
    return fixtures.seeded_database(citus_after_migrations=True)


async def test_a_database_that_gets_citus_after_the_migrations_is_walled_on_the_shards(
    citus_late_urls: tuple[str, str, str],
) -> None:
    late = ScratchDatabase("postgresql", *citus_late_urls)
    try:
        async with late.engine.connect() as connection:
            forms = (
                await connection.execute(
                    text(
                        "select tablename, policyname, coalesce(qual, with_check) from pg_policies"
                        " where tablename in ('tenant_settings', 'audit_events')"
                    )
                )
            ).all()
        assert len(forms) == 8
        assert all("siaga_scope" in form and "unnest" not in form for *_, form in forms), forms
        assert (await _placement(late, "audit_events"))[0] == "h"
        kapuas, mura = await _tenant_id(late, "62.03"), await _tenant_id(late, "62.12")
        async with late.session_factory() as session:
            await enter_scope(session, TenantScope.read_only({kapuas}))
            rows = (await session.execute(text("select tenant_id from tenant_settings"))).all()
        assert [r[0] for r in rows] == [kapuas]
        # Writes: the scope's tenant passes on its shard, another tenant is refused there.
        async with unit_of_work(late.session_factory) as session:
            await enter_scope(session, TenantScope.single(mura))
            await audit.record(
                session, tenant_id=mura, actor_subject="late", action="test",
                object_type="x", object_id="1",
            )  # fmt: skip
        async with late.session_factory() as session:
            await enter_scope(session, TenantScope.single(kapuas))
            with pytest.raises(ProgrammingError, match="row-level security"):
                await _forge_audit_event(session, mura)
    finally:
        await late.dispose()


async def _read_policies(db: ScratchDatabase) -> set[str]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            text("select qual from pg_policies where policyname = tablename || '_read'")
        )
        return {qual for (qual,) in rows}


async def _tenants_seen(db: ScratchDatabase, scope: TenantScope) -> set[uuid.UUID]:
    """The regencies whose settings a raw SQL read sees: only the database's wall filters it."""
    async with db.session_factory() as session:
        await enter_scope(session, scope)
        rows = await session.execute(text("select tenant_id from tenant_settings"))
        return {tenant for (tenant,) in rows}


async def test_a_national_read_passes_the_shards_wall_once_and_writes_still_name_tenants(
    cdb: ScratchDatabase,
) -> None:
    # Migration 0028: a national read is not checked row by row against its 514 ids on the
    # shards (`app.read_all_tenants`); the ORM wall still filters to the listed regencies.
    kapuas, mura = await _tenant_id(cdb, "62.03"), await _tenant_id(cdb, "62.12")
    assert all("read_all_tenants" in qual for qual in await _read_policies(cdb))
    listed = await _tenants_seen(cdb, TenantScope.read_only({kapuas}))
    national = await _tenants_seen(cdb, TenantScope.national({kapuas}))
    assert listed == {kapuas} and {kapuas, mura} <= national
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.national({kapuas}))
        through_orm = set(await session.scalars(select(TenantSettings.tenant_id)))
    assert through_orm == {kapuas}
    # The flag opens reads only: a write in a scope that sets it is checked against its list.
    async with cdb.session_factory() as session, session.begin():
        await enter_scope(session, TenantScope.single(kapuas))
        await session.execute(text("SET LOCAL app.read_all_tenants = 'on'"))
        with pytest.raises(ProgrammingError, match="row-level security"):
            await _forge_audit_event(session, mura)


async def test_migration_0028_rewrites_the_read_policies_of_a_distributed_database(
    cdb: ScratchDatabase,
) -> None:
    # A deployment distributed before 0028: its shards get the new read policies on upgrade.
    kapuas = await _tenant_id(cdb, "62.03")
    config = alembic_config(cdb.owner_url)
    await asyncio.to_thread(command.downgrade, config, "0027")
    try:
        assert not any("read_all_tenants" in qual for qual in await _read_policies(cdb))
        assert await _tenants_seen(cdb, TenantScope.national({kapuas})) == {kapuas}
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")
    assert all("read_all_tenants" in qual for qual in await _read_policies(cdb))
    assert len(await _tenants_seen(cdb, TenantScope.national({kapuas}))) > 1
