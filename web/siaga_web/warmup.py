"""Startup work that spares the first visitors: every template compiled, and the rollup's
reads run once (in a scope of two tenants that do not exist, so they return nothing) so their
SQL is compiled and a pooled connection is open before the first supervisor asks."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.rollup.rows import Regency, read_rows
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_web import templating

log = logging.getLogger(__name__)
PREPARE_AFTER = 5  # psycopg's default prepare_threshold


async def warm_up(session_factory: async_sessionmaker[AsyncSession]) -> None:
    templating.compile_all()
    now = datetime.now(UTC)
    nobody = [
        Regency(uuid.uuid4(), "00.00", "", "00", now.date()),
        Regency(uuid.uuid4(), "00.01", "", "00", now.date()),
    ]
    try:
        # Six times: psycopg prepares a statement on its fifth use, so the pooled connection
        # the first visitor gets already holds the rollup's statements prepared.
        for _ in range(PREPARE_AFTER + 1):
            async with session_factory() as db:
                await enter_scope(db, TenantScope.read_only({r.tenant_id for r in nobody}))
                await read_rows(db, nobody, now=now, with_trends=True)
    except Exception as error:
        log.warning("warm-up skipped: %s", type(error).__name__)
