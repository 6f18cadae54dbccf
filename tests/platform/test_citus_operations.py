"""Operating the Citus cluster with data present (issue 18; infra/citus/README.md, "Operating the
cluster"): a third worker added and the shards rebalanced, one regency isolated in its own shard,
a worker down and back. After each, the same queries through the tenant wall give the same
answers. `make test-citus` runs it; without a cluster it is skipped.

The module has its own distributed database with 8 shards per table (a quicker rebalance) and
adds a worker to the cluster (infra/citus/cluster.sh add-worker), so it runs after the others.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.models import TenantSettings
from tests.fixtures import applications as apps
from tests.fixtures import citus as fixtures
from tests.fixtures.citus import (
    REPO_ROOT,
    admin_url,
    create_on_node,
    run_as_admin,
    seeded_database,
)
from tests.fixtures.databases import ScratchDatabase, service_missing
from tests.letters.helpers import recorded_applicants

cdb = fixtures.cdb
CLUSTER = REPO_ROOT / "infra/citus/cluster.sh"
BUSY = ("62.01", "62.03", "62.12", "62.71")  # regencies given applications


@pytest.fixture(scope="module")
def citus_urls() -> Iterator[tuple[str, str, str]]:
    if not os.environ.get("SIAGA_TEST_CITUS_DIR"):
        service_missing("Citus cluster (make test-citus)")
    yield seeded_database(shard_count=8)


def _cluster(*args: str) -> str:
    done = subprocess.run(
        [str(CLUSTER), args[0], os.environ["SIAGA_TEST_CITUS_DIR"], *args[1:]],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


async def _province(db: ScratchDatabase) -> frozenset[uuid.UUID]:
    async with db.session_factory() as session:
        return frozenset(t.id for t in await tenants.list_in_province(session, "62"))


async def _snapshot(db: ScratchDatabase, scope: frozenset[uuid.UUID]) -> dict[str, Any]:
    """The same reads through the wall, with the province's scope: per-regency counts of a few
    tenant tables and a join across two of them on tenant_id."""
    found: dict[str, Any] = {}
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.read_only(scope))
        for table in ("applications", "application_events", "tenant_settings", "audit_events"):
            rows = await session.execute(
                text(f"select tenant_id, count(*) from {table} group by tenant_id")
            )
            found[table] = dict(rows.all())
        joined = await session.execute(
            text(
                "select a.tenant_id, count(*) from applications a join tenant_settings s"
                " on s.tenant_id = a.tenant_id group by a.tenant_id"
            )
        )
        found["joined"] = dict(joined.all())
    return found


@pytest.fixture(scope="module")
def data(citus_urls: tuple[str, str, str]) -> None:
    """Applications in a few regencies, written once for the module."""
    import asyncio

    async def write() -> None:
        database = ScratchDatabase("postgresql", *citus_urls)
        try:
            for serial, code in enumerate(BUSY):
                who = await apps.operator(database, code)
                await recorded_applicants(database, who, 6, first_serial=100 * serial + 1)
        finally:
            await database.dispose()

    asyncio.run(write())


def _placements(name: str) -> dict[int, int]:
    """Shards of `applications` per worker port."""
    rows = run_as_admin(
        name,
        "select p.nodeport, count(*) from pg_dist_shard_placement p join pg_dist_shard s"
        " using (shardid) where s.logicalrelid = 'applications'::regclass group by p.nodeport",
    )
    return {port: count for port, count in rows}


async def test_a_third_worker_takes_shards_and_the_answers_stay_the_same(
    cdb: ScratchDatabase, data: None
) -> None:
    name = cdb.name
    scope = await _province(cdb)
    before = await _snapshot(cdb, scope)
    assert sum(before["applications"].values()) >= 6 * len(BUSY)
    port = int(_cluster("add-worker", "worker3").splitlines()[-1])
    create_on_node(name, port)
    run_as_admin(name, "select citus_add_node('127.0.0.1', :p)", {"p": port})
    assert port not in _placements(name)  # a new node holds nothing until the rebalance
    # block_writes: shards are copied (COPY) while their writes wait; the default, logical
    # replication, needs wal_level = logical on every node.
    run_as_admin(name, "select rebalance_table_shards(shard_transfer_mode => 'block_writes')")
    after_placements = _placements(name)
    assert set(after_placements) >= {port} and len(after_placements) == 3
    assert max(after_placements.values()) - min(after_placements.values()) <= 1
    assert await _snapshot(cdb, scope) == before


async def test_one_regency_isolated_in_its_own_shard(cdb: ScratchDatabase, data: None) -> None:
    name = cdb.name
    scope = await _province(cdb)
    before = await _snapshot(cdb, scope)
    big = (await apps.operator(cdb, "62.71")).tenant_id
    assert big is not None
    [(new_shard,)] = run_as_admin(
        name,
        "select isolate_tenant_to_new_shard('applications', cast(:t as uuid),"
        " cascade_option => 'CASCADE', shard_transfer_mode => 'block_writes')",
        {"t": str(big)},
    )
    [(low, high, port)] = run_as_admin(
        name,
        "select s.shardminvalue, s.shardmaxvalue, p.nodeport from pg_dist_shard s"
        " join pg_dist_shard_placement p using (shardid) where s.shardid = :s",
        {"s": new_shard},
    )
    assert low == high  # the shard's hash range is one value: this regency's
    # On its worker, the shard's table holds this regency's rows and no other's.
    engine = create_engine(admin_url(name, port), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            tenants_there = connection.execute(
                text(f"select distinct tenant_id from applications_{int(new_shard)}")
            ).all()
    finally:
        engine.dispose()
    assert [t for (t,) in tenants_there] == [big]
    # Still readable through the wall: the regency alone, and with the province.
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.read_only(frozenset({big})))
        alone = await session.scalar(text("select count(*) from applications"))
    assert alone == before["applications"][big]
    assert await _snapshot(cdb, scope) == before


async def test_a_worker_down_fails_its_regencies_only_until_it_is_back(
    cdb: ScratchDatabase, data: None
) -> None:
    name = cdb.name
    scope = await _province(cdb)
    before = await _snapshot(cdb, scope)
    worker2 = int(_cluster("port", "worker2"))
    on_worker2 = {
        tenant
        for (tenant, port) in run_as_admin(
            name,
            "select t.id, p.nodeport from tenants t join pg_dist_shard_placement p"
            " on p.shardid = get_shard_id_for_distribution_column('applications', t.id)",
        )
        if port == worker2 and tenant in scope
    }
    elsewhere = scope - on_worker2
    assert on_worker2 and elsewhere
    _cluster("stop-node", "worker2")
    try:
        await cdb.engine.dispose()
        # Regencies on the other workers still answer, through the ORM wall: its criteria
        # (tenant_id = ANY(the scope's ids), a bound array) let Citus prune the shards of
        # worker2. The policy alone (siaga_scope(), a function) prunes nothing: a raw SQL read
        # with the same scope goes to every shard and fails.
        async with cdb.session_factory() as session:
            await enter_scope(session, TenantScope.read_only(elsewhere))
            counted = await session.scalar(select(func.count()).select_from(TenantSettings))
            assert counted == len(elsewhere)
            with pytest.raises(DBAPIError) as raw:
                await session.scalar(text("select count(*) from tenant_settings"))
        # A read that needs worker2's regencies fails, with a connection error naming the node.
        with pytest.raises(DBAPIError) as down:
            async with cdb.session_factory() as session:
                await enter_scope(session, TenantScope.read_only(scope))
                await session.scalar(select(func.count()).select_from(TenantSettings))
        for error in (raw.value, down.value):
            assert isinstance(error.orig, psycopg.errors.ConnectionFailure)
            assert f"127.0.0.1:{worker2} failed" in str(error.orig)
    finally:
        _cluster("start-node", "worker2")
    await cdb.engine.dispose()
    assert await _snapshot(cdb, scope) == before
