"""Provisioning a tenant: any of the 514 Kemendagri regency codes, idempotently."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit import service as audit
from siaga_platform.errors import InvalidInput, NotFound
from siaga_platform.tenancy.scope import TenantScope, acting_for
from siaga_tenants.regions import repository as regions
from siaga_tenants.regions.codes import UTC_OFFSET_HOURS, normalize_regency_code
from siaga_tenants.regions.models import TimeZone
from siaga_tenants.registry import repository
from siaga_tenants.registry.models import Tenant, TenantSettings


class UnknownRegencyCode(NotFound):
    pass


async def provision_tenant(session: AsyncSession, raw_code: str, *, actor_subject: str) -> Tenant:
    """Create the tenant for a regency code (``62.12``); return the existing one if present."""
    code = normalize_regency_code(raw_code)
    if code is None:
        raise InvalidInput(
            f"Kode '{raw_code.strip()}' bukan kode kabupaten/kota: tulis seperti 62.12 "
            "(kode Kemendagri, dua angka provinsi, titik, dua angka kabupaten/kota).",
            field="code",
        )
    existing = await repository.get_by_code(session, code)
    if existing is not None:
        return existing
    regency = await regions.get_regency(session, code)
    province = await regions.get_province(session, code[:2])
    if regency is None or province is None:
        raise UnknownRegencyCode(
            f"Kode wilayah {code} tidak ada dalam daftar kode Kemendagri: periksa kodenya "
            "(contoh: 62.12 untuk Kabupaten Murung Raya).",
            field="code",
        )
    tenant = Tenant(
        code=code,
        province_code=province.code,
        name=regency.name,
        kind=regency.kind,
        population=regency.population,
        timezone=province.timezone,
    )
    session.add(tenant)
    await session.flush()
    async with acting_for(session, TenantScope.single(tenant.id)):
        session.add(TenantSettings(tenant_id=tenant.id))
        await audit.record(
            session,
            tenant_id=tenant.id,
            actor_subject=actor_subject,
            action="tenant.provisioned",
            object_type="tenant",
            object_id=code,
        )
    return tenant


def local_day(tenant: Tenant, now: datetime) -> date:
    """The office's own calendar day at ``now`` (WIB, WITA or WIT): business dates."""
    return (now + timedelta(hours=UTC_OFFSET_HOURS[TimeZone(tenant.timezone)])).date()


async def local_date(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> date:
    """``local_day`` for a tenant known only by id (printing's card stock)."""
    tenant = await repository.get(session, tenant_id)
    if tenant is None:
        raise NotFound("Kabupaten/kota tidak ditemukan.")
    return local_day(tenant, now)
