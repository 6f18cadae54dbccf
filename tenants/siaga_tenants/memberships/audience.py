"""Who is told of a regency's alerts, from the membership table (the worker passes this to the
core as its ``AudienceSource``): the regency's operators and head of office from the first
message, the province's supervisors from the first escalation, the platform's admins from the
second. A person is told once, from their widest membership's step."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import Role
from siaga_platform.delivery.recipients import (
    STEP_PLATFORM,
    STEP_PROVINCE,
    STEP_REGENCY,
    Audience,
    Recipient,
)
from siaga_tenants.memberships import repository
from siaga_tenants.registry import repository as tenants

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
