"""Heartbeats in on PostgreSQL: the hot path (tens of thousands of devices, a beat a minute).

Three round trips per request, one beat or five hundred: a pipeline that scopes the transaction
to the tokens' tenants, locks their devices and stores the beats; one update of the devices'
folded state; the commit (by the caller's unit of work). The ORM is left out here because it
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
    async with pg.pipeline():
        await pg.execute(beat_sql.SCOPE, {"hashes": hashes})
        locked = await pg.execute(beat_sql.LOCK, {"hashes": hashes})
        stored = await pg.execute(
            beat_sql.STORE,
            {
                "now": now,
                "beat_hashes": [beat.token_hash for beat in beats],
                "times": [beat.taken_at for beat in beats],
                "statuses": [beat.status.value for beat in beats],
                "readings": [json.dumps(beat.readings) for beat in beats],
            },
        )
    # Fetched after the pipeline's one Sync: a fetch inside it would flush a round trip of its own.
    device_rows = await locked.fetchall()
    new_beats = await stored.fetchall()
    refused = frozenset(hashes) - {row[0] for row in device_rows}
    if refused:  # the caller refuses the request and the transaction is rolled back
        return StoredBeats(devices=[], refused=refused)

    devices: dict[uuid.UUID, FoldedDevice] = {}
    for _token_hash, tenant_id, device_id, interval, last, *kept in device_rows:
        last = last.astimezone(UTC) if last is not None else None
        devices.setdefault(device_id, FoldedDevice(tenant_id, device_id, interval, last, *kept))
    # Folded from the rows stored (their own status), oldest first; the driver gives times in
    # the server's zone, the fold compares them in UTC like every other time in Siaga.
    for device_id, taken_at, status in sorted(new_beats, key=lambda row: row[1]):
        device = devices[device_id]
        device.accepted += 1
        apply_beat(device, BeatStatus(status), taken_at.astimezone(UTC))

    folded = [device for device in devices.values() if device.accepted]
    if folded:
        await pg.execute(
            beat_sql.FOLD,
            {
                "tenants": [d.tenant_id for d in folded],
                "ids": [d.id for d in folded],
                "last_beat_at": [d.last_beat_at for d in folded],
                "last_status": [d.last_status for d in folded],
                "good_streak": [d.good_streak for d in folded],
                "recovering": [d.recovering for d in folded],
                "silent_after": [d.silent_after for d in folded],
            },
        )
    return StoredBeats(devices=list(devices.values()), refused=refused)
