"""Building applicants and letters for the letter tests through the real services."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from siaga_platform.applications.bulk import HistoricApplication, write_applications
from siaga_platform.applications.models import Reason
from siaga_platform.applications.nik import parse_nik
from siaga_platform.applications.statuses import Status
from siaga_platform.auth.principal import Principal
from siaga_platform.letters import service
from siaga_platform.letters.models import Letter, LetterReason
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.letters import letter_policy
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry import repository as tenants
from tests.fixtures.applications import CIPHER, nik_for
from tests.fixtures.databases import ScratchDatabase

REGIONS = CodeListDirectory()
PATH = [Status.REGISTERED, Status.RECORDED, Status.SENT, Status.RECEIVED, Status.PRR]


async def recorded_applicants(
    db: ScratchDatabase,
    who: Principal,
    count: int,
    *,
    first_serial: int = 1,
    status: Status = Status.PRR,
) -> list[uuid.UUID]:
    """``count`` applicants recorded and waiting (PRR by default), written in one go."""
    start = datetime.now(UTC) - timedelta(days=40)
    path = PATH[: PATH.index(status) + 1]
    regency = (who.tenant_code or "62.12").replace(".", "")
    items = [
        HistoricApplication(
            nik=parse_nik(nik_for(serial, regency=regency), today=date.today()),
            name=f"Siti Aminah Nomor{serial}",
            kecamatan_code=f"{who.tenant_code}.01",
            reason=Reason.FIRST_CARD,
            history=[(s, start + timedelta(days=i)) for i, s in enumerate(path)],
            birth_place="Puruk Cahu",
            desa="Beriwit",
        )
        for serial in range(first_serial, first_serial + count)
    ]
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        await write_applications(session, who.tenant_id, CIPHER, items, created_by="test")  # type: ignore[arg-type]
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        from sqlalchemy import select

        from siaga_platform.applications.models import Application

        rows = await session.scalars(
            select(Application.id)
            .where(Application.created_by == "test")
            .order_by(Application.created_at, Application.id)
        )
        return list(rows.all())[-count:]


def noon(day: date) -> datetime:
    return datetime.combine(day, time(5), tzinfo=UTC)


async def issue(
    db: ScratchDatabase,
    who: Principal,
    application_id: uuid.UUID,
    *,
    today: date,
    reason: LetterReason = LetterReason.NO_BLANK_CARDS,
    note: str | None = None,
) -> Letter:
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        return await service.issue(
            session,
            who,
            CIPHER,
            REGIONS,
            application_id,
            reason=reason,
            note=note,
            policy=letter_policy(await tenants.get_settings(session)),
            today=today,
            now=noon(today),
        )
