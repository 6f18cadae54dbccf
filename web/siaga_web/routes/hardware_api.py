"""JSON API for recording hardware: heartbeats from device agents (device tokens, no user),
and registering sites and devices (staff)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from siaga_platform.auth.permissions import Permission
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import DomainError
from siaga_platform.hardware import service
from siaga_platform.hardware.models import DeviceKind, Funding, SiteKind
from siaga_platform.hardware.schemas import (
    TOKEN_HEADER_MAX,
    Batch,
    BatchAnswer,
    BeatAnswer,
    BeatBody,
    RefusedBeat,
)
from siaga_platform.hardware.state import derive_state
from siaga_platform.observability.metrics import count_beats
from siaga_platform.tenancy.unit_of_work import retry_transient
from siaga_web import clock
from siaga_web.csrf import verify_csrf_unless_bearer
from siaga_web.deps import DbSession, in_own_scope, requires
from siaga_web.ratelimit import api_rate_limit, device_token_guard
from siaga_web.runtime import runtime


async def device_token_route() -> None:
    """Marks routes authenticated by a device token instead of a person (async: a plain
    function would cost a trip through the thread pool on every heartbeat)."""


device_token_route.permission = "device-token"  # type: ignore[attr-defined]

beats = APIRouter(
    prefix="/api/v1/heartbeats",
    tags=["hardware"],
    dependencies=[Depends(device_token_route), Depends(device_token_guard)],
)
router = APIRouter(
    prefix="/api/v1",
    tags=["hardware"],
    dependencies=[
        Depends(api_rate_limit),
        Depends(verify_csrf_unless_bearer),
        Depends(in_own_scope),
    ],
)


@beats.post("", response_model=BeatAnswer, status_code=202)
async def heartbeat(
    db: DbSession,
    body: BeatBody,
    x_device_token: Annotated[str | None, Header(max_length=TOKEN_HEADER_MAX)] = None,
) -> BeatAnswer:
    """One heartbeat of the device whose token is in ``X-Device-Token``. Idempotent."""
    beat = service.BeatIn(body.taken_at, body.status, body.readings)
    try:
        result = await retry_transient(
            db, lambda: service.take_beats(db, [(x_device_token, beat)], now=clock.now())
        )
    except DomainError:
        count_beats(0, 0, 1)
        raise
    count_beats(result.accepted, result.duplicates, 0)
    return BeatAnswer(accepted=result.accepted, duplicates=result.duplicates)


@beats.post("/batch", response_model=BatchAnswer, status_code=202)
async def heartbeat_batch(db: DbSession, body: Batch) -> BatchAnswer:
    """Many heartbeats at once (a site agent speaking for several devices, or a queue
    delivered after an outage); each carries its device's token.

    202 with ``accepted`` (new beats stored), ``duplicates`` (already stored) and ``refused``
    (per beat: ``index``, ``reason``, ``field``) whenever the batch itself is well formed, even
    if every beat is refused. The whole batch is refused only when it is malformed (422: wrong
    shape, unknown status) or a token is unknown or revoked (401); nothing is stored then."""
    sent = [
        (item.device_token, service.BeatIn(item.taken_at, item.status, item.readings))
        for item in body.heartbeats
    ]
    # A deadlock's victim is run again, not answered 500 (the agent would only resend it).
    try:
        result = await retry_transient(
            db, lambda: service.take_beats(db, sent, now=clock.now(), batch=True)
        )
    except DomainError:
        count_beats(0, 0, len(sent))
        raise
    count_beats(result.accepted, result.duplicates, len(result.refused))
    return BatchAnswer(
        accepted=result.accepted,
        duplicates=result.duplicates,
        refused=[
            RefusedBeat(index=r.index, reason=r.reason, field=r.field) for r in result.refused
        ],
    )


class SiteIn(BaseModel):
    name: str = Field(max_length=120)
    kind: SiteKind
    kecamatan_code: str | None = Field(default=None, max_length=12)


class DeviceIn(BaseModel):
    site_id: uuid.UUID
    kind: DeviceKind
    label: str = Field(max_length=120)
    funding: Funding
    serial: str | None = Field(default=None, max_length=80)
    asset_tag: str | None = Field(default=None, max_length=80)
    installed_on: date | None = None
    recording_set: str | None = Field(default=None, max_length=60)
    expected_interval_seconds: int = 60


class DeviceOut(BaseModel):
    id: uuid.UUID
    site_id: uuid.UUID
    kind: DeviceKind
    label: str
    funding: Funding
    state: str
    last_beat_at: datetime | None
    token: str | None = Field(default=None, description="Shown once, at registration")


Manager = Annotated[Principal, Depends(requires(Permission.MANAGE_HARDWARE))]
Viewer = Annotated[Principal, Depends(requires(Permission.VIEW_HARDWARE))]


@router.post("/sites", status_code=201)
async def create_site(
    request: Request, db: DbSession, principal: Manager, body: SiteIn
) -> dict[str, str]:
    site = await service.create_site(
        db,
        principal,
        runtime(request.app).regions,
        name=body.name,
        kind=body.kind,
        kecamatan_code=body.kecamatan_code,
    )
    return {"id": str(site.id), "name": site.name}


@router.post("/devices", response_model=DeviceOut, status_code=201)
async def register_device(db: DbSession, principal: Manager, body: DeviceIn) -> DeviceOut:
    device, token = await service.register_device(db, principal, **body.model_dump())
    return DeviceOut(
        id=device.id,
        site_id=device.site_id,
        kind=device.kind,
        label=device.label,
        funding=device.funding,
        state="unknown",
        last_beat_at=None,
        token=token,
    )


@router.get("/devices/{device_id}", response_model=DeviceOut)
async def get_device(db: DbSession, principal: Viewer, device_id: uuid.UUID) -> DeviceOut:
    device = await service.device(db, device_id)
    return DeviceOut(
        id=device.id,
        site_id=device.site_id,
        kind=device.kind,
        label=device.label,
        funding=device.funding,
        state=derive_state(device, clock.now()).value,
        last_beat_at=device.last_beat_at,
    )


@router.post("/devices/{device_id}/revoke-tokens")
async def revoke(db: DbSession, principal: Manager, device_id: uuid.UUID) -> dict[str, int]:
    return {
        "revoked": await service.revoke_device_tokens(db, principal, device_id, now=clock.now())
    }
