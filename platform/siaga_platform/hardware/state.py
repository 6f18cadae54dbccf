"""A device's status is derived, never typed in: from its last heartbeats, the expected
interval and a missed-beats threshold, with hysteresis (a device that was down needs K good
beats before it counts as up again), and "unreachable" behind a router that is down."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from siaga_platform.hardware.models import BeatStatus, Device, DeviceKind

MISSED_BEATS = 3
GOOD_BEATS_TO_RECOVER = 3


class KeptState(Protocol):
    """What a device keeps from its heartbeats: an ORM ``Device`` or the intake's plain row."""

    expected_interval_seconds: int
    last_beat_at: datetime | None
    last_status: str | None
    good_streak: int
    recovering: bool
    silent_after: datetime | None


class DeviceState(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"
    UNREACHABLE = "unreachable"


def _silence_limit(device: KeptState, missed_beats: int) -> timedelta:
    return timedelta(seconds=device.expected_interval_seconds * missed_beats)


def apply_beat(
    device: KeptState,
    status: BeatStatus,
    taken_at: datetime,
    *,
    good_beats_to_recover: int = GOOD_BEATS_TO_RECOVER,
    missed_beats: int = MISSED_BEATS,
) -> bool:
    """Fold one beat into the kept state; a beat older than the last one (delivered late
    from an agent's queue) is history only. Returns whether the state moved."""
    if device.last_beat_at is not None and taken_at <= device.last_beat_at:
        return False
    failed_before = device.last_status == BeatStatus.FAULT or (
        device.last_beat_at is not None
        and taken_at - device.last_beat_at > _silence_limit(device, missed_beats)
    )
    if status is BeatStatus.OK:
        if failed_before and not device.recovering:
            device.recovering, device.good_streak = True, 1
        else:
            device.good_streak += 1
        if device.recovering and device.good_streak >= good_beats_to_recover:
            device.recovering = False
    else:
        device.good_streak = 0
        if status is BeatStatus.FAULT:
            device.recovering = True
    device.last_beat_at, device.last_status = taken_at, status.value
    device.silent_after = taken_at + _silence_limit(device, missed_beats)
    return True


def derive_state(
    device: KeptState, now: datetime, *, missed_beats: int = MISSED_BEATS
) -> DeviceState:
    if device.last_beat_at is None:
        return DeviceState.UNKNOWN
    if now - device.last_beat_at > _silence_limit(device, missed_beats):
        return DeviceState.DOWN
    if device.last_status == BeatStatus.FAULT or device.recovering:
        return DeviceState.DOWN
    if device.last_status == BeatStatus.DEGRADED:
        return DeviceState.DEGRADED
    return DeviceState.UP


def site_states(devices: Iterable[Device], now: datetime) -> dict[uuid.UUID, DeviceState]:
    """States of one site's devices: behind a router that is down they are unreachable,
    not each one down (one fault, not ten)."""
    listed = list(devices)
    states = {d.id: derive_state(d, now) for d in listed}
    routers = [d for d in listed if d.kind == DeviceKind.ROUTER]
    if routers and all(states[r.id] is DeviceState.DOWN for r in routers):
        for device in listed:
            if device.kind != DeviceKind.ROUTER and states[device.id] is DeviceState.DOWN:
                states[device.id] = DeviceState.UNREACHABLE
    return states
