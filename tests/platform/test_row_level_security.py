"""The PostgreSQL wall: row-level security holds even when the ORM wall is bypassed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from siaga_platform.audit import service as audit
from siaga_platform.db.engine import create_engine
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.registry import repository as tenants
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed

pytestmark = pytest.mark.postgres_only


async def _tenant_id(db: ScratchDatabase, code: str) -> uuid.UUID:
    async with unit_of_work(db.session_factory) as session:
        tenant = await tenants.get_by_code(session, code)
        assert tenant is not None
        return tenant.id


async def test_app_role_owns_nothing_and_cannot_bypass(db: ScratchDatabase) -> None:
    async with db.engine.connect() as connection:
        role = (
            await connection.execute(
                text(
                    "select current_user, rolbypassrls, rolsuper from pg_roles"
                    " where rolname = current_user"
                )
            )
        ).one()
        assert role == ("siaga_web", False, False)
        owned = await connection.scalar(
            text(
                "select count(*) from pg_tables where schemaname = 'public'"
                " and tableowner = current_user"
            )
        )
        assert owned == 0
        forced = (
            await connection.execute(
                text(
                    "select relname, relrowsecurity, relforcerowsecurity from pg_class"
                    " where relname in ('audit_events', 'tenant_settings') order by relname"
                )
            )
        ).all()
        assert forced == [("audit_events", True, True), ("tenant_settings", True, True)]


async def test_no_tenant_set_reads_zero_rows(db: ScratchDatabase) -> None:
    await seed(db)
    async with db.engine.connect() as connection:
        assert await connection.scalar(text("select count(*) from tenant_settings")) == 0
        assert await connection.scalar(text("select count(*) from audit_events")) == 0
    # FORCE applies to the owner as well: asking to skip the policies is an error, not a bypass.
    engine = create_engine(db.owner_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("set row_security = off"))
            with pytest.raises(DBAPIError, match="row-level security"):
                await connection.scalar(text("select count(*) from tenant_settings"))
    finally:
        await engine.dispose()
    # ...and the rows are there: with a scope the app role sees them.
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.read_only({await _tenant_id(db, "62.12")}))
        assert await session.scalar(text("select count(*) from tenant_settings")) == 1


async def test_scope_setting_selects_only_that_tenant_and_resets(db: ScratchDatabase) -> None:
    await seed(db)
    mura = await _tenant_id(db, "62.12")
    async with db.engine.connect() as connection:
        async with connection.begin():
            await connection.execute(
                text("select set_config('app.read_tenant_ids', :t, true)"), {"t": str(mura)}
            )
            rows = (await connection.execute(text("select tenant_id from tenant_settings"))).all()
            assert [r[0] for r in rows] == [mura]
        # Same pooled connection, next transaction: the setting is '' and must mean no rows.
        async with connection.begin():
            assert (
                await connection.scalar(text("select current_setting('app.read_tenant_ids', true)"))
                == ""
            )
            assert await connection.scalar(text("select count(*) from tenant_settings")) == 0


async def test_raw_insert_for_another_tenant_is_rejected(db: ScratchDatabase) -> None:
    await seed(db)
    kapuas, mura = await _tenant_id(db, "62.03"), await _tenant_id(db, "62.12")
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(kapuas))
        with pytest.raises(ProgrammingError, match="row-level security"):
            await session.execute(
                text(
                    "insert into audit_events (tenant_id, id, occurred_at, actor_subject, action,"
                    " object_type, object_id, details) values (:t, :i, now(), 'x', 'forged',"
                    " 'tenant', '62.12', '{}')"
                ),
                {"t": mura, "i": uuid.uuid4()},
            )


async def test_supervisor_scope_reads_many_but_writes_none(db: ScratchDatabase) -> None:
    await seed(db)
    kapuas, mura = await _tenant_id(db, "62.03"), await _tenant_id(db, "62.12")
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.read_only({kapuas, mura}))
        assert await session.scalar(text("select count(*) from tenant_settings")) == 2
        result = await session.execute(
            text("update tenant_settings set letter_validity_months = 9")
        )
        assert result.rowcount == 0  # type: ignore[attr-defined]


async def test_audit_trail_is_insert_and_select_only(db: ScratchDatabase) -> None:
    await seed(db)
    mura = await _tenant_id(db, "62.12")
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(mura))
        await audit.record(
            session,
            tenant_id=mura,
            actor_subject="t",
            action="test",
            object_type="x",
            object_id="1",
        )
    for statement in ("update audit_events set action = 'changed'", "delete from audit_events"):
        async with db.session_factory() as session:
            await enter_scope(session, TenantScope.single(mura))
            with pytest.raises(ProgrammingError, match="permission denied"):
                await session.execute(text(statement))
