"""Reading an election's readiness the way the pages do, for the tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from siaga_platform.elections import service
from siaga_platform.elections.service import Readiness
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.domain_inputs.rollup import rollup_regencies
from siaga_tenants.registry import repository as tenants
from tests.fixtures.databases import ScratchDatabase


async def readiness(
    db: ScratchDatabase, voting_day: date, *, province: str = "62", now: datetime | None = None
) -> dict[str, Readiness]:
    """Per regency code of the province, its readiness for ``voting_day``."""
    now = now or datetime.now(UTC)
    async with db.session_factory() as session:
        in_province = await tenants.list_in_province(session, province)
        await enter_scope(session, TenantScope.read_only({t.id for t in in_province}))
        regencies = await rollup_regencies(session, in_province, now)
        rows = await service.regency_figures(session, voting_day, regencies)
    return {r.regency.code: r for r in rows}
