"""Startup work that spares the first visitors, done before the server takes requests (a
replica is ready only after it): every template compiled, then the national page and one
province page built in full, six times, with the real data and a read-only platform scope.

Six times because psycopg prepares a statement on its fifth use: the pooled connection the
first supervisor gets already holds the rollup's statements prepared, PostgreSQL has chosen
their plans on real figures, and every Python path of the pages (rows, trends, timeline,
templates) has run once. The pages are built by what their routes use (``national_values``,
``province_values``, the templates through ``templating.render_page``): no request is made up.
Nothing is written; a failure is logged and never stops the start.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.auth.principal import Principal, Role
from siaga_tenants.registry import repository as tenants
from siaga_web import templating
from siaga_web.deps import enter_province
from siaga_web.routes import rollup

log = logging.getLogger(__name__)
PREPARE_AFTER = 5  # psycopg's default prepare_threshold
WARM_UP = Principal(subject="system:warm-up", display_name="Warm-up", role=Role.ADMIN_PLATFORM)


async def _busiest_province(db: AsyncSession) -> str | None:
    codes = Counter(t.province_code for t in await tenants.directory(db))
    return codes.most_common(1)[0][0] if codes else None


async def _national(db: AsyncSession) -> str:
    values = await rollup.national_values(db)
    return templating.render_page(rollup.NATIONAL_PAGE, values, principal=WARM_UP, path="/nasional")


async def _province(db: AsyncSession, code: str) -> str:
    place = await enter_province(db, WARM_UP, code)
    values = await rollup.province_values(
        db, place, sort="keparahan", query="", whole_page=True, session={}
    )
    path = f"/provinsi/{code}"
    return templating.render_page(rollup.PROVINCE_PAGE, values, principal=WARM_UP, path=path)


async def warm_up(session_factory: async_sessionmaker[AsyncSession]) -> None:
    templating.compile_all()
    started = time.perf_counter()
    try:
        async with session_factory() as db:
            province = await _busiest_province(db)
        if province is None:
            return  # an empty registry: nothing to read yet
        for _ in range(PREPARE_AFTER + 1):
            async with session_factory() as db:
                await _national(db)
            async with session_factory() as db:
                await _province(db, province)
    except Exception as error:
        log.warning("warm-up skipped: %s: %s", type(error).__name__, error)
        return
    log.info("warm-up done in %.1f s", time.perf_counter() - started)
