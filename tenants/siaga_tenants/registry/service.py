"""Provisioning a tenant: any of the 514 Kemendagri regency codes, idempotently."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit import service as audit
from siaga_platform.errors import InvalidInput, NotFound
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.regions import repository as regions
from siaga_tenants.regions.codes import UTC_OFFSET_HOURS, normalize_regency_code
from siaga_tenants.regions.models import Province, TimeZone
from siaga_tenants.regions.models import Regency as RegionRegency
from siaga_tenants.registry import repository
from siaga_tenants.registry.models import Tenant, TenantSettings, TenantStatus


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
    async with system_scope(
        session, TenantScope.single(tenant.id), why="registry.service.provision_tenant"
    ):
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


class RegistryEntry(Protocol):
    """A tenant as a registry row or object: what the business day and the rollup need."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def province_code(self) -> str: ...
    @property
    def timezone(self) -> str: ...


def local_day(tenant: RegistryEntry, now: datetime) -> date:
    """The office's own calendar day at ``now`` (WIB, WITA or WIT): business dates."""
    return (now + timedelta(hours=UTC_OFFSET_HOURS[TimeZone(tenant.timezone)])).date()


async def local_date(session: AsyncSession, tenant_id: uuid.UUID, now: datetime) -> date:
    """``local_day`` for a tenant known only by id (printing's card stock)."""
    tenant = await repository.get(session, tenant_id)
    if tenant is None:
        raise NotFound("Kabupaten/kota tidak ditemukan.")
    return local_day(tenant, now)


async def rollup_thresholds(session: AsyncSession) -> dict[uuid.UUID, tuple[int, int]]:
    """Per tenant in the read scope (a province, the nation): (low-stock days of cover, PRR
    waiting alert days); a tenant without a settings row is absent (see the defaults below)."""
    return await repository.rollup_thresholds(session)


async def active_tenants(session: AsyncSession) -> list[Any]:
    """Every active tenant of the platform, as registry rows (see ``directory``)."""
    return [t for t in await repository.directory(session) if t.status == TenantStatus.ACTIVE]


async def import_inputs(
    session: AsyncSession, tenant_id: uuid.UUID, now: datetime
) -> tuple[list[tuple[str, str]], date] | None:
    """What an import run needs of its regency (the worker's ``ImportSource``): its kecamatan
    (code, name) and its own day; None when the regency is gone."""
    tenant = await repository.get(session, tenant_id)
    if tenant is None:
        return None
    kecamatan = [(k.code, k.name) for k in await regions.list_kecamatan(session, tenant.code)]
    return kecamatan, local_day(tenant, now)


#: A regency's low-stock threshold (days of cover) when it has no settings row.
DEFAULT_LOW_STOCK_DAYS = 14


async def tenant_by_code(session: AsyncSession, code: str) -> Tenant | None:
    """A tenant by its regency code (``62.12``), active or not."""
    return await repository.get_by_code(session, code)


async def regencies_in_province(session: AsyncSession, province_code: str) -> Sequence[Tenant]:
    """The tenants of a province, by code."""
    return await repository.list_in_province(session, province_code)


async def low_stock_days(session: AsyncSession) -> int:
    """The low-stock threshold (days of cover) of the tenant in scope."""
    settings = await repository.get_settings(session)
    return settings.low_stock_days_of_cover if settings else DEFAULT_LOW_STOCK_DAYS


async def stock_regencies(
    session: AsyncSession, province_code: str, now: datetime
) -> list[tuple[Tenant, date, int]]:
    """The tenants of a province with their own business day and low-stock threshold (each
    read in that tenant's scope): what the province's stock page reads them with."""
    regencies = []
    for tenant in await repository.list_in_province(session, province_code):
        async with system_scope(
            session, TenantScope.read_only({tenant.id}), why="registry.service.stock_regencies"
        ):
            regencies.append((tenant, local_day(tenant, now), await low_stock_days(session)))
    return regencies


#: Days an application may wait at one step before the register marks it overdue (no settings).
DEFAULT_PRR_ALERT_DAYS = 14


async def prr_alert_days(session: AsyncSession) -> int:
    """The days an application may wait before it shows as overdue, for the tenant in scope."""
    settings = await repository.get_settings(session)
    return settings.prr_waiting_alert_days if settings else DEFAULT_PRR_ALERT_DAYS


async def current_settings(session: AsyncSession) -> TenantSettings | None:
    """The settings row of the tenant in scope (None before it has one)."""
    return await repository.get_settings(session)


async def directory(session: AsyncSession, province_code: str | None = None) -> Sequence[Any]:
    """The registry as plain rows (id, code, name, province_code, timezone, status), of one
    province or of all."""
    return await repository.directory(session, province_code)


@dataclass(frozen=True, slots=True)
class ProvinceDirectory:
    province: Province
    #: The province's tenants as registry rows (see ``directory``).
    tenants: Sequence[Any]
    #: The province's regencies that have no tenant yet.
    unregistered: list[RegionRegency]


async def province_directory(session: AsyncSession, code: str) -> ProvinceDirectory | None:
    """A province, its tenants and its regencies not provisioned yet (None: no such code)."""
    province = await regions.get_province(session, code)
    if province is None:
        return None
    in_province = await repository.directory(session, code)
    provisioned = {t.code for t in in_province}
    unregistered = [
        r for r in await regions.list_regencies(session, code) if r.code not in provisioned
    ]
    return ProvinceDirectory(province, in_province, unregistered)


#: Office hours (local) when a tenant has no settings row.
DEFAULT_OFFICE_HOURS = (8, 16)


async def office_hours(session: AsyncSession) -> tuple[int, int]:
    """The office's opening and closing hour (local time) of the tenant in scope."""
    settings = await repository.get_settings(session)
    if settings is None:
        return DEFAULT_OFFICE_HOURS
    return settings.office_opens_hour, settings.office_closes_hour


async def office_hours_in_zone(
    session: AsyncSession, tenant_id: uuid.UUID
) -> tuple[int, int, int] | None:
    """The regency's UTC offset (hours) and its opening and closing hour (local), read in its
    scope; None when the regency is gone."""
    tenant = await repository.get(session, tenant_id)
    if tenant is None:
        return None
    opens, closes = await office_hours(session)
    return UTC_OFFSET_HOURS[TimeZone(tenant.timezone)], opens, closes
