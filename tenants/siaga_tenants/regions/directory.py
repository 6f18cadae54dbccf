"""The code list as the domains ask for it (applications: ``RegionDirectory``; letters:
``KecamatanNames``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_tenants.regions import repository


class CodeListDirectory:
    async def regency_exists(self, db: AsyncSession, regency_code: str) -> bool:
        return await repository.get_regency(db, regency_code) is not None

    async def kecamatan_regency(self, db: AsyncSession, kecamatan_code: str) -> str | None:
        kecamatan = await repository.get_kecamatan(db, kecamatan_code)
        return kecamatan.regency_code if kecamatan else None

    async def kecamatan_name(self, db: AsyncSession, kecamatan_code: str) -> str | None:
        kecamatan = await repository.get_kecamatan(db, kecamatan_code)
        return kecamatan.name if kecamatan else None
