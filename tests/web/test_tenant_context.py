"""A regency page's one context (siaga_web/deps.py): the tenant in reach and its scope, its
letter policy from its own settings, the request's moment on the requests' clock and the
office's own day at it, and the cipher."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import Principal, Role
from siaga_platform.errors import NotFound
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.letters import update_letter_settings
from siaga_tenants.registry.models import Tenant
from siaga_web import clock
from siaga_web.deps import enter_tenant
from tests.fixtures.applications import CIPHER, operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed

# 16:30 UTC on 9 March is 23:30 WIB on the 9th and 01:30 WIT on the 10th: each office its day.
EVENING_UTC = datetime(2026, 3, 9, 16, 30, tzinfo=UTC)


async def _supervisor(db: ScratchDatabase) -> Principal:
    async with db.session_factory() as session:
        ids = await session.scalars(select(Tenant.id).where(Tenant.province_code == "62"))
        return Principal(
            subject="test-supervisor-62",
            display_name="Supervisor 62",
            role=Role.SUPERVISOR_PROVINSI,
            province_code="62",
            province_tenant_ids=frozenset(ids),
        )


async def _save_letter_settings(
    session: AsyncSession, staff: Principal, number_format: str, *, months: int
) -> None:
    await update_letter_settings(
        session,
        actor_subject=staff.subject,
        number_format=number_format,
        validity_months=months,
        signer_name="Dra. Contoh",
        signer_title="Kepala Dinas",
    )


async def test_the_context_carries_the_tenants_policy_day_moment_and_cipher(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db)
    async with unit_of_work(db.session_factory) as session:
        await session.execute(update(Tenant).where(Tenant.code == "62.12").values(timezone="WIT"))
    monkeypatch.setattr(clock, "now", lambda: EVENING_UTC)
    staff = await operator(db, "62.12")

    async with unit_of_work(db.session_factory) as session:
        before = await enter_tenant(session, staff, "62.12", CIPHER)
        assert before.letter_policy.number_format != "474/{nomor}/SIAGA/{tahun}"
        await _save_letter_settings(session, staff, "474/{nomor}/SIAGA/{tahun}", months=3)

    async with unit_of_work(db.session_factory) as session:
        context = await enter_tenant(session, staff, "62.12", CIPHER)
    assert context.tenant.code == "62.12" and context.can_write
    assert context.letter_policy.number_format == "474/{nomor}/SIAGA/{tahun}"
    assert context.letter_policy.validity_months == 3
    assert context.now == EVENING_UTC
    assert context.today == date(2026, 3, 10)  # 01:30 WIT, the office's day, not the server's
    assert context.cipher is CIPHER

    # A neighbouring WIB regency is still on the 9th at the same moment (23:30 WIB).
    async with unit_of_work(db.session_factory) as session:
        neighbour = await enter_tenant(session, await operator(db, "62.03"), "62.03", CIPHER)
    assert neighbour.today == date(2026, 3, 9)
    assert neighbour.letter_policy.number_format != "474/{nomor}/SIAGA/{tahun}"  # its own


async def test_a_supervisor_reads_the_same_policy_and_writes_nothing(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    staff = await operator(db, "62.12")
    async with unit_of_work(db.session_factory) as session:
        await enter_tenant(session, staff, "62.12", CIPHER)
        await _save_letter_settings(session, staff, "474/{nomor}/MR/{tahun}", months=4)
    async with unit_of_work(db.session_factory) as session:
        seen = await enter_tenant(session, await _supervisor(db), "62.12", CIPHER)
    assert not seen.can_write
    assert seen.letter_policy.number_format == "474/{nomor}/MR/{tahun}"

    # Another regency's staff meet a 404, exactly like a code that does not exist.
    with pytest.raises(NotFound):
        async with unit_of_work(db.session_factory) as session:
            await enter_tenant(session, await operator(db, "62.03"), "62.12", CIPHER)
