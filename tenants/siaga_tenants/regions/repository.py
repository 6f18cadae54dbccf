from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_tenants.regions.models import Kecamatan, Province, Regency


async def get_province(session: AsyncSession, code: str) -> Province | None:
    return await session.get(Province, code)


async def get_regency(session: AsyncSession, code: str) -> Regency | None:
    return await session.get(Regency, code)


async def get_kecamatan(session: AsyncSession, code: str) -> Kecamatan | None:
    return await session.get(Kecamatan, code)


async def list_provinces(session: AsyncSession) -> Sequence[Province]:
    return (await session.scalars(select(Province).order_by(Province.code))).all()


async def list_regencies(session: AsyncSession, province_code: str) -> Sequence[Regency]:
    rows = await session.scalars(
        select(Regency).where(Regency.province_code == province_code).order_by(Regency.code)
    )
    return rows.all()


async def list_kecamatan(session: AsyncSession, regency_code: str) -> Sequence[Kecamatan]:
    rows = await session.scalars(
        select(Kecamatan).where(Kecamatan.regency_code == regency_code).order_by(Kecamatan.code)
    )
    return rows.all()


async def count_kecamatan_by_regency(session: AsyncSession, province_code: str) -> dict[str, int]:
    rows = await session.execute(
        select(Kecamatan.regency_code, func.count())
        .join(Regency, Regency.code == Kecamatan.regency_code)
        .where(Regency.province_code == province_code)
        .group_by(Kecamatan.regency_code)
    )
    return {code: count for code, count in rows}


async def existing_codes(session: AsyncSession) -> dict[str, set[str]]:
    return {
        "provinsi": set(await session.scalars(select(Province.code))),
        "regency": set(await session.scalars(select(Regency.code))),
        "kecamatan": set(await session.scalars(select(Kecamatan.code))),
    }
