"""Keeping the reference tables equal to the shipped code list (idempotent); a province by code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_tenants.regions import repository
from siaga_tenants.regions.codes import province_timezone, regency_kind
from siaga_tenants.regions.models import Kecamatan, Province, Regency
from siaga_tenants.regions.reference import read_wilayah


@dataclass(frozen=True, slots=True)
class ReferenceLoad:
    provinces_added: int
    regencies_added: int
    kecamatan_added: int


async def load_reference_data(session: AsyncSession) -> ReferenceLoad:
    """Insert the codes the database lacks; codes already present are left as they are.

    Levels go in order (provinces, regencies, kecamatan) so each row's parent exists first.
    """
    have = await repository.existing_codes(session)
    rows = read_wilayah()
    provinces = [
        Province(
            code=r.code, name=r.name, population=r.population, timezone=province_timezone(r.code)
        )
        for r in rows
        if r.level == "provinsi" and r.code not in have["provinsi"]
    ]
    regencies = [
        Regency(
            code=r.code,
            province_code=r.code[:2],
            name=r.name,
            kind=regency_kind(r.code),
            population=r.population,
        )
        for r in rows
        if r.level in ("kabupaten", "kota") and r.code not in have["regency"]
    ]
    kecamatan = [
        Kecamatan(code=r.code, regency_code=r.code[:5], name=r.name)
        for r in rows
        if r.level == "kecamatan" and r.code not in have["kecamatan"]
    ]
    for level in (provinces, regencies, kecamatan):
        session.add_all(level)
        await session.flush()
    return ReferenceLoad(len(provinces), len(regencies), len(kecamatan))


async def province(session: AsyncSession, code: str) -> Province | None:
    """A province by its code (``62``)."""
    return await repository.get_province(session, code)


async def kecamatan_of(session: AsyncSession, regency_code: str) -> Sequence[Kecamatan]:
    """The kecamatan of a regency, by code."""
    return await repository.list_kecamatan(session, regency_code)


async def kecamatan(session: AsyncSession, code: str) -> Kecamatan | None:
    """A kecamatan by its code."""
    return await repository.get_kecamatan(session, code)


async def provinces(session: AsyncSession) -> Sequence[Province]:
    """Every province, by code."""
    return await repository.list_provinces(session)
