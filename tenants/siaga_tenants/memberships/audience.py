"""Who is told of a regency's alerts, from the membership table (the worker passes this to the
core as its ``AudienceSource``): the regency's operators and head of office from the first
message, the province's supervisors from the first escalation, the platform's admins from the
second. A person is told once, from their widest membership's step."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts.digest import DigestProvince
from siaga_platform.auth.principal import Role
from siaga_platform.delivery.recipients import (
    STEP_PLATFORM,
    STEP_PROVINCE,
    STEP_REGENCY,
    Audience,
    Recipient,
)
from siaga_platform.rollup.rows import Regency
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.domain_inputs.rollup import rollup_regencies
from siaga_tenants.memberships import repository
from siaga_tenants.regions import repository as regions
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.models import TenantStatus

STEP_OF_ROLE = {
    Role.OPERATOR: STEP_REGENCY,
    Role.KEPALA_DINAS: STEP_REGENCY,
    Role.SUPERVISOR_PROVINSI: STEP_PROVINCE,
    Role.ADMIN_PLATFORM: STEP_PLATFORM,
}


async def alert_audience(session: AsyncSession, tenant_id: uuid.UUID) -> Audience | None:
    tenant = await tenants.get(session, tenant_id)
    if tenant is None:
        return None
    rows = await repository.alert_members(session, tenant_id, tenant.province_code)
    steps: dict[str, int] = {}
    emails: dict[str, str | None] = {}
    for subject, role, email in rows:
        step = STEP_OF_ROLE.get(Role(role))
        if step is None:
            continue
        steps[subject] = min(step, steps.get(subject, step))
        emails[subject] = email
    recipients = tuple(
        Recipient(subject, steps[subject], emails[subject]) for subject in sorted(steps)
    )
    return Audience(
        tenant_id=tenant.id,
        code=tenant.code,
        name=tenant.name,
        zone=str(tenant.timezone),
        recipients=recipients if tenant.is_active else (),
    )


async def digest_provinces(session: AsyncSession, now: datetime) -> list[DigestProvince]:
    """Every province with an active regency, with its supervisors (the worker's
    ``ProvinceSource`` for the morning digest); the zone most of its regencies keep."""
    active = [t for t in await tenants.directory(session) if t.status == TenantStatus.ACTIVE]
    if not active:
        return []
    by_province: dict[str, list[Any]] = defaultdict(list)
    for tenant in active:
        by_province[tenant.province_code].append(tenant)
    async with system_scope(
        session,
        TenantScope.national({t.id for t in active}),
        why="memberships.audience.digest_provinces",
    ):
        regencies = await rollup_regencies(session, active, now)
    regencies_of: dict[str, list[Regency]] = defaultdict(list)
    for regency in regencies:
        regencies_of[regency.province_code].append(regency)
    supervisors: dict[str, list[Recipient]] = defaultdict(list)
    for code, subject, email in await repository.province_supervisors(session, by_province):
        supervisors[code].append(Recipient(subject, STEP_PROVINCE, email))
    found = []
    for code in sorted(by_province):
        province = await regions.get_province(session, code)
        zones = Counter(str(t.timezone) for t in by_province[code])
        found.append(
            DigestProvince(
                code=code,
                name=province.name if province is not None else code,
                zone=zones.most_common(1)[0][0],
                regencies=tuple(regencies_of[code]),
                supervisors=tuple(supervisors[code]),
            )
        )
    return found
