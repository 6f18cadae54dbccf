"""Status derivation with controlled time: up → down after the missed-beat threshold, down → up
only after K good beats, a router down makes its site's devices unreachable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from siaga_platform.hardware.models import BeatStatus, Device, DeviceKind, Funding
from siaga_platform.hardware.state import (
    GOOD_BEATS_TO_RECOVER,
    MISSED_BEATS,
    DeviceState,
    apply_beat,
    derive_state,
    site_states,
)

T0 = datetime(2017, 2, 14, 8, 0, tzinfo=UTC)
MINUTE = timedelta(seconds=60)


def device(kind: DeviceKind = DeviceKind.RECORDING_SERVER) -> Device:
    return Device(
        id=uuid.uuid4(),
        site_id=uuid.uuid4(),
        kind=kind,
        label=kind.value,
        funding=Funding.APBN,
        expected_interval_seconds=60,
        good_streak=0,
        recovering=False,
    )


def beat(d: Device, minutes: int, status: BeatStatus = BeatStatus.OK) -> None:
    apply_beat(d, status, T0 + minutes * MINUTE)


def test_unknown_until_the_first_beat_then_up() -> None:
    d = device()
    assert derive_state(d, T0) is DeviceState.UNKNOWN
    beat(d, 0)
    assert derive_state(d, T0 + MINUTE) is DeviceState.UP


def test_down_after_the_missed_beat_threshold() -> None:
    d = device()
    beat(d, 0)
    limit = T0 + MISSED_BEATS * MINUTE
    assert derive_state(d, limit) is DeviceState.UP
    assert derive_state(d, limit + timedelta(seconds=1)) is DeviceState.DOWN


def test_back_up_only_after_k_good_beats() -> None:
    d = device()
    beat(d, 0)
    beat(d, 60)  # the first beat after an hour of silence (the lightning strike)
    for k in range(1, GOOD_BEATS_TO_RECOVER):
        assert derive_state(d, T0 + (60 + k - 1) * MINUTE) is DeviceState.DOWN
        beat(d, 60 + k)
    assert derive_state(d, T0 + (60 + GOOD_BEATS_TO_RECOVER) * MINUTE) is DeviceState.UP


def test_fault_and_degraded_beats() -> None:
    d = device()
    beat(d, 0)
    beat(d, 1, BeatStatus.DEGRADED)
    assert derive_state(d, T0 + 2 * MINUTE) is DeviceState.DEGRADED
    beat(d, 2, BeatStatus.FAULT)
    assert derive_state(d, T0 + 3 * MINUTE) is DeviceState.DOWN
    beat(d, 3)
    beat(d, 4, BeatStatus.FAULT)  # flapping: the good streak starts over
    for minute in range(5, 5 + GOOD_BEATS_TO_RECOVER - 1):
        beat(d, minute)
    assert derive_state(d, T0 + 7 * MINUTE) is DeviceState.DOWN
    beat(d, 5 + GOOD_BEATS_TO_RECOVER - 1)
    assert derive_state(d, T0 + 8 * MINUTE) is DeviceState.UP


def test_a_late_beat_from_a_queue_does_not_rewind_the_state() -> None:
    d = device()
    beat(d, 10, BeatStatus.FAULT)
    assert not apply_beat(d, BeatStatus.OK, T0 + 5 * MINUTE)
    assert d.last_status == BeatStatus.FAULT.value


def test_router_down_makes_the_site_unreachable_not_each_device_down() -> None:
    router, pc, camera = (
        device(DeviceKind.ROUTER),
        device(DeviceKind.RECORDING_PC),
        device(DeviceKind.CAMERA),
    )
    for d in (router, pc, camera):
        beat(d, 0)
    later = T0 + 10 * MINUTE
    states = site_states([router, pc, camera], later)
    assert states[router.id] is DeviceState.DOWN
    assert states[pc.id] is DeviceState.UNREACHABLE and states[camera.id] is DeviceState.UNREACHABLE
    for minute in range(10 - GOOD_BEATS_TO_RECOVER, 10):  # the router is back (K good beats)
        beat(router, minute)
    states = site_states([router, pc, camera], later)
    assert states[router.id] is DeviceState.UP
    assert states[pc.id] is DeviceState.DOWN  # the router answers, the PC itself is silent
