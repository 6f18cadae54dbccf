"""Heartbeats in on PostgreSQL: the hot path (tens of thousands of devices, a beat a minute).

Four round trips per request, one beat or five hundred (``beat_sql``): the tokens' regencies
and devices; a pipeline that scopes the transaction to those regencies, locks their devices and
stores the beats; the update of the devices' folded state; the commit (by the caller's unit of
work). The ORM is left out here because it
cost most of a beat's time (five to eight statements, each built and checked); the rules are
not copied: times are checked by the service, the fold is ``state.apply_beat``, and a state
change goes back to the service's ORM path in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.hardware import beat_sql
from siaga_platform.hardware.models import BeatStatus
from siaga_platform.hardware.state import apply_beat
from siaga_platform.tenancy import rls
from siaga_platform.tenancy.scope import TenantScope


@dataclass(slots=True)
class FoldedDevice:
    """A locked device's kept state, with its new beats folded in."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    expected_interval_seconds: int
    last_beat_at: datetime | None
    last_status: str | None
    good_streak: int
    recovering: bool
    silent_after: datetime | None
    logged_state: str
    accepted: int = 0


@dataclass(frozen=True, slots=True)
class StoredBeats:
    devices: list[FoldedDevice]
    #: Token hashes that named no device (unknown or revoked).
    refused: frozenset[str]


@dataclass(frozen=True, slots=True)
class HashedBeat:
    token_hash: str
    taken_at: datetime
    status: BeatStatus
    readings: dict[str, Any]


async def _driver_connection(db: AsyncSession) -> AsyncConnection[Any]:
    connection = await db.connection()  # the unit of work's transaction, committed by it
    raw = await connection.get_raw_connection()
    pg: AsyncConnection[Any] | None = raw.driver_connection
    assert pg is not None  # a checked-out connection always has its driver's
    return pg


async def store(db: AsyncSession, beats: Sequence[HashedBeat], *, now: datetime) -> StoredBeats:
    """Store the beats and fold them into their devices' state (not committed)."""
    return await store_on(await _driver_connection(db), beats, now=now)


async def store_on(
    pg: AsyncConnection[Any], beats: Sequence[HashedBeat], *, now: datetime
) -> StoredBeats:
    """``store`` on a driver connection of its own (the heartbeat lane's; not committed)."""
    hashes = sorted({beat.token_hash for beat in beats})
    named = await (await pg.execute(beat_sql.TOKENS, {"hashes": hashes})).fetchall()
    refused = frozenset(hashes) - {row[0] for row in named}
    if refused:  # the caller refuses the request and the transaction is rolled back
        return StoredBeats(devices=[], refused=refused)
    device_of = {
        token_hash: (tenant_id, device_id) for token_hash, tenant_id, device_id, _ in named
    }
    tenants = sorted({tenant_id for tenant_id, _ in device_of.values()}, key=str)
    # The global lock order is tenant, then device; on Citus one statement per regency.
    on_citus = any(row[3] for row in named)
    groups = [[t] for t in tenants] if on_citus else [tenants]
    # The transaction may read and write the tokens' regencies, nothing else.
    scope = TenantScope(read_tenant_ids=frozenset(tenants), write_tenant_ids=frozenset(tenants))
    kept = [device_of[beat.token_hash] for beat in beats]
    async with pg.pipeline():
        for statement in rls.scope_statement_list(scope):
            await pg.execute(statement)
        locks = [
            await pg.execute(
                beat_sql.LOCK,
                {"tenants": group, "ids": [d for t, d in device_of.values() if t in group]},
            )
            for group in groups
        ]
        stored = await pg.execute(
            beat_sql.STORE,
            {
                "now": now,
                "tenants": [tenant_id for tenant_id, _ in kept],
                "devices": [device_id for _, device_id in kept],
                "times": [beat.taken_at for beat in beats],
                "statuses": [beat.status.value for beat in beats],
                "readings": [json.dumps(beat.readings) for beat in beats],
            },
        )
    # Fetched after the pipeline's one Sync: a fetch inside it would flush a round trip of its own.
    device_rows = [row for locked in locks for row in await locked.fetchall()]
    new_beats = await stored.fetchall()

    devices: dict[uuid.UUID, FoldedDevice] = {}
    for tenant_id, device_id, interval, last, *rest in device_rows:
        last = last.astimezone(UTC) if last is not None else None
        devices[device_id] = FoldedDevice(tenant_id, device_id, interval, last, *rest)
    # Folded from the rows stored (their own status), oldest first; the driver gives times in
    # the server's zone, the fold compares them in UTC like every other time in Siaga.
    for device_id, taken_at, status in sorted(new_beats, key=lambda row: row[1]):
        device = devices[device_id]
        device.accepted += 1
        apply_beat(device, BeatStatus(status), taken_at.astimezone(UTC))

    folded = [device for device in devices.values() if device.accepted]
    async with pg.pipeline():
        for group in groups:
            mine = [d for d in folded if d.tenant_id in group]
            if mine:
                await pg.execute(
                    beat_sql.FOLD,
                    {
                        "tenants": group,
                        "device_tenants": [d.tenant_id for d in mine],
                        "ids": [d.id for d in mine],
                        "last_beat_at": [d.last_beat_at for d in mine],
                        "last_status": [d.last_status for d in mine],
                        "good_streak": [d.good_streak for d in mine],
                        "recovering": [d.recovering for d in mine],
                        "silent_after": [d.silent_after for d in mine],
                    },
                )
    return StoredBeats(devices=list(devices.values()), refused=refused)
