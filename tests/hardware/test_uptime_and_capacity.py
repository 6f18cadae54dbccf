"""Uptime arithmetic (a range crossing midnight, office hours in the tenant's zone, planned
maintenance left out) and recording capacity with "recording stopped since"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from siaga_platform.hardware.capacity import Capacity, recording_capacity
from siaga_platform.hardware.models import Device, DeviceKind, Funding
from siaga_platform.hardware.state import DeviceState
from siaga_platform.hardware.uptime import office_hours, recording_availability, uptime

H = timedelta(hours=1)
# Tuesday 14 Feb 2017, 20:00 WIB = 13:00 UTC.
EVENING = datetime(2017, 2, 14, 13, 0, tzinfo=UTC)


def test_uptime_over_a_range_crossing_midnight() -> None:
    # Up from 20:00 WIB, down at 23:00, up again at 01:00: 4 of 6 hours up.
    changes = [(EVENING, "up"), (EVENING + 3 * H, "down"), (EVENING + 5 * H, "up")]
    assert uptime(changes, EVENING, EVENING + 6 * H) == pytest.approx(4 / 6)


def test_unknown_time_is_not_counted_and_maintenance_is_left_out() -> None:
    changes = [(EVENING, "unknown"), (EVENING + 1 * H, "up"), (EVENING + 2 * H, "down")]
    assert uptime(changes, EVENING, EVENING + 4 * H) == pytest.approx(1 / 3)
    planned = [(EVENING + 2 * H, EVENING + 3 * H)]
    assert uptime(changes, EVENING, EVENING + 4 * H, maintenance=planned) == pytest.approx(1 / 2)
    assert uptime([(EVENING, "unknown")], EVENING, EVENING + H) is None


def test_office_hours_only_in_the_tenants_zone() -> None:
    # Monday 13 Feb 2017 00:00 WIB to Wednesday 00:00 WIB; down Tuesday 08:00-12:00 WIB.
    start = datetime(2017, 2, 12, 17, 0, tzinfo=UTC)
    end = start + 48 * H
    tuesday_8_wib = datetime(2017, 2, 14, 1, 0, tzinfo=UTC)
    changes = [(start, "up"), (tuesday_8_wib, "down"), (tuesday_8_wib + 4 * H, "up")]
    hours = office_hours(start, end, utc_offset_hours=7, opens=8, closes=16)
    assert len(hours) == 2 and hours[0][0] == datetime(2017, 2, 13, 1, 0, tzinfo=UTC)
    assert uptime(changes, start, end, only=hours) == pytest.approx(12 / 16)
    assert uptime(changes, start, end) == pytest.approx(44 / 48)
    # The same wall-clock hours in WIT (UTC+9) fall elsewhere in UTC.
    assert office_hours(start, end, utc_offset_hours=9, opens=8, closes=16)[0][0] == datetime(
        2017, 2, 12, 23, 0, tzinfo=UTC
    )


def test_weekend_has_no_office_hours() -> None:
    saturday = datetime(2017, 2, 18, 0, 0, tzinfo=UTC)
    assert office_hours(saturday, saturday + 47 * H, utc_offset_hours=7, opens=8, closes=16) == []


def _device(label: str, recording_set: str | None, since: datetime) -> Device:
    return Device(
        id=uuid.uuid4(),
        site_id=uuid.uuid4(),
        kind=DeviceKind.RECORDING_PC,
        label=label,
        funding=Funding.APBN,
        recording_set=recording_set,
        logged_state_since=since,
    )


def test_capacity_counts_sets_whose_every_member_is_up() -> None:
    server = _device("server", "*", EVENING)
    pc1, cam1 = _device("pc1", "set-1", EVENING), _device("cam1", "set-1", EVENING)
    pc2 = _device("pc2", "set-2", EVENING)
    devices = [server, pc1, cam1, pc2]
    up = {d.id: DeviceState.UP for d in devices}
    assert recording_capacity(devices, up) == Capacity(2, 2, None)
    camera_down = {**up, cam1.id: DeviceState.DOWN}
    assert recording_capacity(devices, camera_down) == Capacity(1, 2, None)
    # Lightning: the shared recording server is down, so no set can record.
    strike = EVENING + 2 * H
    server.logged_state_since = strike
    capacity = recording_capacity(devices, {**up, server.id: DeviceState.DOWN})
    assert capacity.working_sets == 0 and capacity.total_sets == 2
    assert capacity.stopped_since == strike


def test_recording_availability_counts_what_the_office_could_record() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(days=30)
    server, pc1, cam1, pc2, printer = (uuid.uuid4() for _ in range(5))
    sets = {"1": [server, pc1, cam1], "2": [server, pc2]}
    long_before = start - timedelta(days=39)
    # The server struck before the window, everything else up: nothing could be recorded,
    # however many devices (and the printer, outside any set) stayed up.
    struck = {
        server: [(long_before, "down")],
        pc1: [(long_before, "up")],
        cam1: [(long_before, "up")],
        pc2: [(long_before, "up")],
        printer: [(long_before, "up")],
    }
    assert recording_availability(sets, struck, start, end) == 0.0
    # Server up; set 1's camera down for the second half: set 1 records 50 %, set 2 all month.
    halfway = start + timedelta(days=15)
    camera = {
        **struck,
        server: [(long_before, "up")],
        cam1: [(long_before, "up"), (halfway, "down")],
    }
    assert recording_availability(sets, camera, start, end) == pytest.approx(0.75)
    # Planned maintenance of the camera over that half is left out of set 1's time.
    planned = {cam1: [(halfway, end)]}
    assert recording_availability(sets, camera, start, end, maintenance=planned) == pytest.approx(
        (15 + 30) / (15 + 30)
    )
    assert recording_availability({}, struck, start, end) is None
