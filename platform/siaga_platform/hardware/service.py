"""Registering sites and devices, device tokens, and taking heartbeats in."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications.service import RegionDirectory
from siaga_platform.audit import service as audit
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import DomainError, InvalidInput, NotFound
from siaga_platform.hardware import intake, repository, summary
from siaga_platform.hardware.models import (
    BeatStatus,
    Device,
    DeviceKind,
    DeviceToken,
    Funding,
    Site,
    SiteKind,
)
from siaga_platform.hardware.outages import log_state, reconcile_site_incidents
from siaga_platform.hardware.state import apply_beat, derive_state
from siaga_platform.tenancy.scope import TenantScope, enter_system_scope
from siaga_platform.tenancy.writer import writer_tenant
from siaga_platform.text import has_control_characters

FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks on recording PCs drift
OLDEST_ACCEPTED = timedelta(days=7)  # an agent's queue is kept about that long
#: Readings are a device's few measurements, not a log: bounded so one beat cannot bloat the
#: heartbeat table (serialised UTF-8 bytes) or nest without end.
READINGS_MAX_BYTES = 4096
READINGS_MAX_DEPTH = 4


class DeviceTokenRefused(DomainError):
    status_code = 401
    message = "Token perangkat tidak dikenal atau sudah dicabut."


@dataclass(frozen=True, slots=True)
class BeatIn:
    taken_at: datetime
    status: BeatStatus
    readings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refusal:
    """One beat of a batch that was not taken, and why (the rest of the batch is)."""

    index: int
    reason: str
    field: str | None


@dataclass(frozen=True, slots=True)
class BeatResult:
    accepted: int
    duplicates: int
    refused: tuple[Refusal, ...] = ()


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def create_site(
    db: AsyncSession,
    principal: Principal,
    regions: RegionDirectory,
    *,
    name: str,
    kind: SiteKind,
    kecamatan_code: str | None,
) -> Site:
    writer_tenant(principal)
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("Nama lokasi wajib diisi.", field="name")
    # A kecamatan of this regency only (an unknown code failed on the foreign key, another
    # regency's was stored).
    if kecamatan_code and (
        await regions.kecamatan_regency(db, kecamatan_code) != principal.tenant_code
    ):
        raise InvalidInput(
            "Kecamatan tidak ada di kabupaten/kota ini. Pakai kode kecamatan wilayah Anda "
            "(mis. 62.12.01).",
            field="kecamatan_code",
        )
    site = Site(name=cleaned[:120], kind=kind, kecamatan_code=kecamatan_code or None)
    db.add(site)
    await db.flush()
    return site


async def register_device(
    db: AsyncSession,
    principal: Principal,
    *,
    site_id: uuid.UUID,
    kind: DeviceKind,
    label: str,
    funding: Funding,
    serial: str | None = None,
    asset_tag: str | None = None,
    installed_on: date | None = None,
    recording_set: str | None = None,
    expected_interval_seconds: int = 60,
) -> tuple[Device, str]:
    """The device and its token; the token is shown once and only its hash is kept."""
    tenant_id = writer_tenant(principal)
    if await repository.site(db, site_id) is None:
        raise NotFound("Lokasi tidak ditemukan.")
    if not 10 <= expected_interval_seconds <= 3600:
        raise InvalidInput(
            "Interval denyut harus 10–3600 detik.", field="expected_interval_seconds"
        )
    device = Device(
        site_id=site_id,
        kind=kind,
        label=" ".join(label.split())[:120] or kind.value,
        funding=funding,
        serial=serial,
        asset_tag=asset_tag,
        installed_on=installed_on,
        recording_set=recording_set,
        expected_interval_seconds=expected_interval_seconds,
    )
    db.add(device)
    await db.flush()
    raw = secrets.token_urlsafe(32)
    db.add(DeviceToken(token_hash=token_hash(raw), tenant_id=tenant_id, device_id=device.id))
    await audit.record(
        db,
        tenant_id=tenant_id,
        actor_subject=principal.subject,
        action="device.registered",
        object_type="device",
        object_id=str(device.id),
    )
    await summary.refresh(db, tenant_id, now=datetime.now(UTC))
    return device, raw


async def device(db: AsyncSession, device_id: uuid.UUID) -> Device:
    """A device of the tenant in scope (the wall hides the others: not found, not forbidden)."""
    found = await repository.device(db, device_id)
    if found is None:
        raise NotFound("Perangkat tidak ditemukan.")
    return found


async def revoke_device_tokens(
    db: AsyncSession, principal: Principal, device_id: uuid.UUID, *, now: datetime
) -> int:
    """A stolen or retired device stops being heard at once."""
    writer_tenant(principal)
    if await repository.device(db, device_id) is None:  # 404 for another tenant's device
        raise NotFound("Perangkat tidak ditemukan.")
    revoked = 0
    for credential in await repository.tokens_of(db, device_id):
        if credential.revoked_at is None:
            credential.revoked_at = now
            revoked += 1
    await db.flush()
    return revoked


async def device_for_token(db: AsyncSession, raw: str | None) -> DeviceToken:
    found = await repository.token(db, token_hash(raw)) if raw else None
    if found is None or found.revoked_at is not None:
        raise DeviceTokenRefused()
    return found


def check_time(taken_at: datetime, now: datetime, *, field: str = "taken_at") -> None:
    if taken_at.tzinfo is None:
        raise InvalidInput(
            "taken_at harus memakai zona waktu (mis. 2026-11-27T08:00:00+07:00).", field=field
        )
    if taken_at > now + FUTURE_TOLERANCE:
        raise InvalidInput("taken_at ada di masa depan: periksa jam perangkat.", field=field)
    if taken_at < now - OLDEST_ACCEPTED:
        raise InvalidInput(
            "taken_at lebih dari 7 hari yang lalu: denyut ini tidak diterima.", field=field
        )


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def check_readings(readings: dict[str, Any], *, field: str = "readings") -> None:
    """Readings are stored as JSON: NaN and infinities (which Python's parser lets through,
    ``1e999`` included) are not JSON, and size and nesting are bounded."""
    if not _finite(readings):
        raise InvalidInput(
            "readings berisi NaN atau angka tak hingga: kirim angka biasa, atau null bila "
            "nilainya tidak terbaca.",
            field=field,
        )
    if _depth(readings) > READINGS_MAX_DEPTH:
        raise InvalidInput(
            f"readings bersarang terlalu dalam (paling banyak {READINGS_MAX_DEPTH} tingkat).",
            field=field,
        )
    if any(has_control_characters(text) for text in _texts(readings)):
        # PostgreSQL's JSON cannot hold NUL (the beat failed with a 500); SQLite stored it.
        raise InvalidInput(
            "readings memuat karakter kontrol (mis. NUL): kirim teks biasa.", field=field
        )
    if len(json.dumps(readings, ensure_ascii=False).encode()) > READINGS_MAX_BYTES:
        raise InvalidInput(
            f"readings terlalu besar (paling banyak {READINGS_MAX_BYTES} byte sebagai JSON): "
            "kirim ukuran ringkas, bukan log.",
            field=field,
        )


def check_beat(beat: BeatIn, now: datetime, *, prefix: str = "") -> None:
    check_time(beat.taken_at, now, field=f"{prefix}taken_at")
    check_readings(beat.readings, field=f"{prefix}readings")


async def take_beats(
    db: AsyncSession,
    sent: Sequence[tuple[str | None, BeatIn]],
    *,
    now: datetime,
    batch: bool = False,
) -> BeatResult:
    """One request's heartbeats, each with its device's raw token: every beat checked first
    (time, readings), then each new beat stored once (a beat sent twice counts once) and folded
    into its device's state. A single beat that fails a check refuses the request (422); in a
    batch such a beat is refused alone and named in the result, the others are taken (an
    agent's queue must not be held back by one beat that aged out). Any unknown or revoked
    token refuses the whole request (401): a token is the request's credential."""
    refused: list[Refusal] = []
    taken: list[tuple[str | None, BeatIn]] = []
    for index, (token, beat) in enumerate(sent):
        try:
            check_beat(beat, now, prefix=f"heartbeats[{index}]." if batch else "")
        except InvalidInput as error:
            if not batch:
                raise
            refused.append(Refusal(index, error.message, error.field))
            continue
        taken.append((token, beat))
    if not all(token for token, _ in sent):
        raise DeviceTokenRefused()
    if not taken:
        return BeatResult(0, 0, tuple(refused))
    if db.get_bind().dialect.name == "postgresql":
        result = await _take_on_postgresql(db, taken, now=now)
        return BeatResult(result.accepted, result.duplicates, tuple(refused))
    by_token: dict[str, list[BeatIn]] = defaultdict(list)
    for token, beat in taken:
        by_token[str(token)].append(beat)
    credentials = [(await device_for_token(db, token), beats) for token, beats in by_token.items()]
    # Devices locked in one global order (tenant, id): concurrent batches never deadlock.
    accepted = 0
    for credential, beats in sorted(
        credentials, key=lambda c: (str(c[0].tenant_id), str(c[0].device_id))
    ):
        accepted += (await _record_beats(db, credential, beats, now=now)).accepted
    return BeatResult(accepted, len(taken) - accepted, tuple(refused))


async def _take_on_postgresql(
    db: AsyncSession, sent: Sequence[tuple[str | None, BeatIn]], *, now: datetime
) -> BeatResult:
    hashed = [
        intake.HashedBeat(token_hash(str(token)), beat.taken_at, beat.status, beat.readings)
        for token, beat in sent
    ]
    taken = _taken(await intake.store(db, hashed, now=now), len(sent), now=now)
    await settle_moved(db, taken.moved, now=now)
    return taken.result


@dataclass(frozen=True, slots=True)
class TakenBeats:
    """Beats stored and folded (not committed yet), and per regency the devices whose derived
    state differs from the one last logged (``settle_moved`` logs them)."""

    result: BeatResult
    moved: dict[uuid.UUID, list[uuid.UUID]]


async def take_beat_on(
    pg: AsyncConnection[Any], token: str, beat: BeatIn, *, now: datetime
) -> TakenBeats:
    """One heartbeat on a driver connection of its own (the heartbeat lane's): checked like
    every beat, stored and folded, not committed. Its state change, if any, is settled by
    ``settle_moved`` in a unit of work once this is committed; the sweep would settle it too."""
    check_beat(beat, now)
    stored = await intake.store_on(
        pg,
        [intake.HashedBeat(token_hash(token), beat.taken_at, beat.status, beat.readings)],
        now=now,
    )
    return _taken(stored, 1, now=now)


def _taken(stored: intake.StoredBeats, sent: int, *, now: datetime) -> TakenBeats:
    if stored.refused:
        raise DeviceTokenRefused()
    moved: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for folded in stored.devices:
        if folded.accepted and derive_state(folded, now).value != folded.logged_state:
            moved[folded.tenant_id].append(folded.id)
    accepted = sum(device.accepted for device in stored.devices)
    return TakenBeats(BeatResult(accepted, sent - accepted), dict(moved))


async def settle_moved(
    db: AsyncSession, moved: dict[uuid.UUID, list[uuid.UUID]], *, now: datetime
) -> None:
    """Log the state changes of devices whose beats moved them, regency by regency."""
    for tenant_id in sorted(moved, key=str):  # the lock order of the intake: (tenant, id)
        await enter_system_scope(
            db, TenantScope.single(tenant_id), why="hardware.service.settle_moved"
        )
        devices = [await repository.device(db, i, lock=True) for i in sorted(moved[tenant_id])]
        await _settle_states(db, [d for d in devices if d is not None], now=now)


async def _record_beats(
    db: AsyncSession, credential: DeviceToken, beats: list[BeatIn], *, now: datetime
) -> BeatResult:
    """Stores one device's new beats through the ORM (a beat sent twice counts once) and folds
    them into its state. Times are checked by the caller (``take_beats``)."""
    accepted = duplicates = 0
    # The token names the tenant; this unit of work acts for it from here on (one set_config,
    # not a scope entered and left around every batch item).
    await enter_system_scope(
        db, TenantScope.single(credential.tenant_id), why="hardware.service._record_beats"
    )
    device = await repository.device(db, credential.device_id, lock=True)
    if device is None:
        raise DeviceTokenRefused()
    for beat in sorted(beats, key=lambda b: b.taken_at):
        stored = await repository.insert_beat(
            db,
            tenant_id=credential.tenant_id,
            device_id=device.id,
            taken_at=beat.taken_at,
            status=beat.status.value,
            readings=beat.readings,
        )
        if not stored:
            duplicates += 1
            continue
        accepted += 1
        apply_beat(device, beat.status, beat.taken_at)
    if accepted:
        await _settle_states(db, [device], now=now)
    await db.flush()
    return BeatResult(accepted, duplicates)


async def _settle_states(db: AsyncSession, devices: Sequence[Device], *, now: datetime) -> None:
    """Devices of one regency whose derived state may have moved: each change logged, then the
    sites' incidents reconciled (in one order) and the regency's summary refreshed once, in the
    beats' transaction: concurrent batches never lock them crosswise. Recovery and faults show
    at once; silence is noticed by the sweep."""
    moved = []
    for device in devices:
        state = derive_state(device, now)
        if state.value != device.logged_state:
            await log_state(db, device, state, now=now)
            moved.append(device)
    if not moved:
        return
    windows = list(await repository.maintenance_between(db, now - timedelta(days=1), now))
    for site_id in sorted({device.site_id for device in moved}, key=str):
        await reconcile_site_incidents(db, site_id, now=now, windows=windows)
    await summary.refresh(db, moved[0].tenant_id, now=now)
