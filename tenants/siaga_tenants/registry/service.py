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
from siaga_platform.hardware.uptime import OfficeHours
from siaga_platform.letters.numbering import check_format
from siaga_platform.letters.service import LetterPolicy
from siaga_platform.rollup.rows import Regency
from siaga_platform.tenancy.scope import TenantScope, acting_for
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


def letter_policy(settings: TenantSettings | None) -> LetterPolicy:
    """The letters' settings of a tenant (defaults when it has no settings row)."""
    if settings is None:
        settings = TenantSettings(
            letter_validity_months=6,
            letter_number_format="470/{nomor}/DISDUKCAPIL/{tahun}",
            head_of_office_title="Kepala Dinas Kependudukan dan Pencatatan Sipil",
        )
    return LetterPolicy(
        number_format=settings.letter_number_format,
        validity_months=settings.letter_validity_months,
        signer_name=settings.head_of_office_name,
        signer_title=settings.head_of_office_title,
    )


async def current_letter_policy(session: AsyncSession) -> LetterPolicy:
    """The letter policy of the tenant in scope (defaults when it has no settings row)."""
    return letter_policy(await repository.get_settings(session))


async def update_letter_settings(
    session: AsyncSession,
    *,
    actor_subject: str,
    number_format: str,
    validity_months: int,
    signer_name: str,
    signer_title: str,
) -> TenantSettings:
    """The head of office sets the number format, the validity and the signer (scope: the
    head's own tenant). Numbers already given keep their format."""
    settings = await repository.get_settings(session)
    if settings is None:
        raise NotFound("Pengaturan kabupaten/kota ini belum ada.")
    if not 1 <= validity_months <= 24:
        raise InvalidInput(
            "Masa berlaku surat antara 1 dan 24 bulan.", field="letter_validity_months"
        )
    name = " ".join(signer_name.split())
    title = " ".join(signer_title.split())
    if not name or len(name) > 120:
        raise InvalidInput(
            "Nama kepala dinas wajib diisi (paling banyak 120 huruf).", field="head_of_office_name"
        )
    if not title or len(title) > 160:
        raise InvalidInput(
            "Jabatan penanda tangan wajib diisi (paling banyak 160 huruf).",
            field="head_of_office_title",
        )
    settings.letter_number_format = check_format(number_format)
    settings.letter_validity_months = validity_months
    settings.head_of_office_name = name
    settings.head_of_office_title = title
    await session.flush()
    await audit.record(
        session,
        tenant_id=settings.tenant_id,
        actor_subject=actor_subject,
        action="tenant.letter_settings_changed",
        object_type="tenant_settings",
        object_id=str(settings.tenant_id),
    )
    return settings


async def rollup_regencies(
    session: AsyncSession, tenants: Sequence[RegistryEntry], now: datetime
) -> list[Regency]:
    """The regencies as the rollup reads them, with their own business day and thresholds
    (their settings are read in the session's scope, one statement for all)."""
    settings = await repository.rollup_thresholds(session)
    regencies = []
    for tenant in tenants:
        own = settings.get(tenant.id)
        regencies.append(
            Regency(
                tenant_id=tenant.id,
                code=tenant.code,
                name=tenant.name,
                province_code=tenant.province_code,
                today=local_day(tenant, now),
                low_stock_days=own[0] if own else 14,
                prr_alert_days=own[1] if own else 14,
            )
        )
    return regencies


async def active_regencies(session: AsyncSession, now: datetime) -> list[Regency]:
    """Every active regency of every province, as the rollup reads them (the alerts
    evaluator's source: it watches the whole country at once)."""
    active = [t for t in await repository.directory(session) if t.status == TenantStatus.ACTIVE]
    if not active:
        return []
    async with acting_for(session, TenantScope.national({t.id for t in active})):
        return await rollup_regencies(session, active, now)


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
        async with acting_for(session, TenantScope.read_only({tenant.id})):
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


async def regency_office_hours(session: AsyncSession, tenant_id: uuid.UUID) -> OfficeHours | None:
    """The office hours of the regency in scope, in its own zone (the uptime page's, and the
    worker's ``OfficeHoursSource``); None when the regency is gone."""
    tenant = await repository.get(session, tenant_id)
    if tenant is None:
        return None
    opens, closes = await office_hours(session)
    return OfficeHours(UTC_OFFSET_HOURS[TimeZone(tenant.timezone)], opens, closes)
