"""The audit trail is append-only on every database, and records who, what, when, request."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from siaga_platform.audit import repository as audit_repo
from siaga_platform.audit import service as audit
from siaga_platform.audit.models import AuditEvent
from siaga_platform.observability.request_context import reset_request_id, set_request_id
from siaga_platform.tenancy.scope import TenantScope, TenantScopeViolation, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.registry import repository as tenants
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed


async def test_record_then_no_update_or_delete_through_the_orm(db: ScratchDatabase) -> None:
    await seed(db)
    token = set_request_id("req-123")
    try:
        async with unit_of_work(db.session_factory) as session:
            mura = await tenants.get_by_code(session, "62.12")
            assert mura is not None
            await enter_scope(session, TenantScope.single(mura.id))
            await audit.record(
                session,
                tenant_id=mura.id,
                actor_subject="demo-operator-62.12",
                action="application.opened",
                object_type="application",
                object_id="A-1",
            )
    finally:
        reset_request_id(token)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(mura.id))
        [event] = await audit_repo.events_for_object(session, "application", "A-1")
        assert (event.actor_subject, event.action, event.request_id) == (
            "demo-operator-62.12",
            "application.opened",
            "req-123",
        )
        assert event.occurred_at.tzinfo is not None
        event.action = "something.else"
        with pytest.raises(TenantScopeViolation, match="append-only"):
            await session.flush()
        await session.rollback()
        await enter_scope(session, TenantScope.single(mura.id))
        event = (await session.scalars(select(AuditEvent).limit(1))).one()
        await session.delete(event)
        with pytest.raises(TenantScopeViolation, match="append-only"):
            await session.flush()


@pytest.mark.parametrize(
    "statement", ["update audit_events set action = 'x'", "delete from audit_events"]
)
async def test_the_database_itself_refuses_changes(db: ScratchDatabase, statement: str) -> None:
    await seed(db)  # provisioning writes an audit entry per tenant
    async with db.session_factory() as session:
        mura = await tenants.get_by_code(session, "62.12")
        assert mura is not None
        await enter_scope(session, TenantScope.single(mura.id))
        with pytest.raises(DBAPIError, match=r"append-only|permission denied"):
            await session.execute(text(statement))
