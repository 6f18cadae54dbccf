"""A regency's office hours as the hardware domain's uptime reads them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.hardware.uptime import OfficeHours
from siaga_tenants.registry import service as registry


async def regency_office_hours(session: AsyncSession, tenant_id: uuid.UUID) -> OfficeHours | None:
    """The office hours of the regency in scope, in its own zone (the uptime page's, and the
    worker's ``OfficeHoursSource``); None when the regency is gone."""
    found = await registry.office_hours_in_zone(session, tenant_id)
    if found is None:
        return None
    utc_offset_hours, opens, closes = found
    return OfficeHours(utc_offset_hours, opens, closes)
