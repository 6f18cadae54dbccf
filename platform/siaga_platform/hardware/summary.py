"""The maintained per-regency summary the province view reads (one row, no recomputation):
refreshed in the same transaction as the event that changes it (a device state change, an
incident opened, escalated or closed, a device registered), and its 30-day uptime (the
recording availability: the share of the recording sets' time they could record,
``board.recording_share``) by the sweep about hourly."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.hardware import board, repository
from siaga_platform.hardware.models import HardwareSummary
from siaga_platform.hardware.state import DeviceState

UPTIME_REFRESH = timedelta(hours=1)


async def refresh(
    db: AsyncSession, tenant_id: uuid.UUID, *, now: datetime, with_uptime: bool = False
) -> HardwareSummary:
    """Recompute the regency's row from its devices and incidents (a regency has tens of
    devices: cheap at event time). Call inside the regency's write scope."""
    row = await repository.summary(db, tenant_id, lock=True)
    if row is None:
        row = HardwareSummary(tenant_id=tenant_id, updated_at=now)
        db.add(row)
    current = await board.board(db, now=now)
    row.working_sets = current.capacity.working_sets
    row.total_sets = current.capacity.total_sets
    row.recording_stopped_since = current.capacity.stopped_since
    row.devices_down = sum(
        1
        for view in current.sites
        for _device, state in view.devices
        if state in (DeviceState.DOWN, DeviceState.UNREACHABLE)
    )
    row.open_incidents = len(current.open_incidents)
    oldest = current.open_incidents[0] if current.open_incidents else None
    row.oldest_incident_title = oldest.title if oldest else None
    row.oldest_incident_cause = oldest.cause if oldest else None
    row.oldest_incident_opened_at = oldest.opened_at if oldest else None
    if with_uptime or row.uptime_as_of is None:
        row.uptime_30_days = await board.tenant_recording_share(db, now=now)
        row.uptime_as_of = now
    row.last_event_at = max(row.last_event_at or now, now)
    row.updated_at = now
    await db.flush()
    return row


async def read(db: AsyncSession) -> list[HardwareSummary]:
    """The summaries of the regencies in the current read scope."""
    return list(await repository.summaries(db))
