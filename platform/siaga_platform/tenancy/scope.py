"""Which tenants a unit of work may read and write.

A scope is always an explicit list of tenant ids: a province supervisor gets the ids of the
province's tenants, never "all rows". The one wider form is a national read
(``TenantScope.national``): still the explicit list for the ORM wall, and a flag that lets the
database's wall admit every tenant's rows without checking each row against 514 ids (on Citus
that check parses the list again for every row a shard scans; see ``tenancy/rls.py``).

Who sets a scope: a request's, ``siaga_web/deps.py`` only; any other code (a worker task
acting for each regency in turn, a loan writing two regencies, the national alert evaluation,
the demo seed) through ``system_scope`` / ``enter_system_scope``, which name why and log it.
``tests/platform/test_scope_gate.py`` fails on any other caller of ``acting_for`` or
``enter_scope``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from siaga_platform.tenancy.rls import apply_scope_settings

SCOPE_KEY = "siaga.tenant_scope"

log = logging.getLogger("siaga.scope")


class TenantScopeMissing(RuntimeError):
    """A tenant table was touched with no tenant scope in the unit of work."""


class TenantScopeViolation(PermissionError):
    """A write touched a row outside the tenants this unit of work may write."""


@dataclass(frozen=True, slots=True)
class TenantScope:
    read_tenant_ids: frozenset[uuid.UUID]
    write_tenant_ids: frozenset[uuid.UUID]
    #: Reads every regency of the platform (``national``): read-only, never a write scope.
    whole_nation: bool = False

    @classmethod
    def single(cls, tenant_id: uuid.UUID) -> TenantScope:
        ids = frozenset({tenant_id})
        return cls(read_tenant_ids=ids, write_tenant_ids=ids)

    @classmethod
    def read_only(cls, tenant_ids: frozenset[uuid.UUID] | set[uuid.UUID]) -> TenantScope:
        return cls(read_tenant_ids=frozenset(tenant_ids), write_tenant_ids=frozenset())

    @classmethod
    def national(cls, tenant_ids: frozenset[uuid.UUID] | set[uuid.UUID]) -> TenantScope:
        """A read of the whole platform (the national page, the alerts over every regency):
        ``tenant_ids`` are every regency the read covers (the ORM wall filters to them); the
        database's wall admits all tenants' rows for this read instead of checking each row
        against the list."""
        return cls(
            read_tenant_ids=frozenset(tenant_ids), write_tenant_ids=frozenset(), whole_nation=True
        )

    def __post_init__(self) -> None:
        if not self.write_tenant_ids <= self.read_tenant_ids:
            raise ValueError("a scope may only write tenants it can read")
        if self.whole_nation and self.write_tenant_ids:
            raise ValueError("a national scope only reads: writes name their tenants")

    @property
    def single_write_tenant(self) -> uuid.UUID | None:
        if len(self.write_tenant_ids) == 1:
            return next(iter(self.write_tenant_ids))
        return None


def scope_of(session: Session) -> TenantScope | None:
    scope = session.info.get(SCOPE_KEY)
    return scope if isinstance(scope, TenantScope) else None


async def enter_scope(session: AsyncSession, scope: TenantScope | None) -> None:
    """Set the scope of a unit of work, on both walls.

    The PostgreSQL settings are written when a transaction begins; if this session has already
    begun one (e.g. it read the user's memberships first), they are written now as well.
    """
    session.info[SCOPE_KEY] = scope
    if session.in_transaction():
        await session.run_sync(lambda sync_session: apply_scope_settings(sync_session, scope))


@asynccontextmanager
async def acting_for(session: AsyncSession, scope: TenantScope) -> AsyncIterator[None]:
    """Run a block in another scope (provisioning, seeding), then restore the previous one."""
    previous = session.info.get(SCOPE_KEY)
    await session.flush()  # pending rows belong to the previous scope
    await enter_scope(session, scope)
    try:
        yield
        await session.flush()
    finally:
        await enter_scope(session, previous)


def _note(scope: TenantScope | None, why: str) -> None:
    """The audit line of a scope set outside a request: wide ones (the nation, or writes to
    more than one regency) at INFO, the rest (one regency at a time) at DEBUG."""
    if scope is None:
        log.debug("scope cleared: %s", why)
        return
    wide = scope.whole_nation or len(scope.write_tenant_ids) > 1
    level = logging.INFO if wide else logging.DEBUG
    if log.isEnabledFor(level):
        log.log(
            level,
            "scope for %s: reads %d regencies, writes %d%s",
            why,
            len(scope.read_tenant_ids),
            len(scope.write_tenant_ids),
            " (national read)" if scope.whole_nation else "",
        )


@asynccontextmanager
async def system_scope(
    session: AsyncSession, scope: TenantScope, *, why: str
) -> AsyncIterator[None]:
    """Run a block in ``scope`` for a reason that is not a request's (``why``: the caller, e.g.
    ``"stock.loans.lend"``), logged; then the scope before. The one way services, tasks and
    seeds change scope."""
    _note(scope, why)
    async with acting_for(session, scope):
        yield


async def enter_system_scope(session: AsyncSession, scope: TenantScope | None, *, why: str) -> None:
    """Set the scope of a whole unit of work that is not a request's (a worker task, a
    heartbeat batch), logged like ``system_scope``."""
    _note(scope, why)
    await enter_scope(session, scope)
