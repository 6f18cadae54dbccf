"""A regency's recording capacity: recording sets whose every member is up. A device marked
``*`` (the regency's recording server) belongs to every set."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from siaga_platform.hardware.models import Device
from siaga_platform.hardware.state import DeviceState

SHARED = "*"
WORKING = frozenset({DeviceState.UP, DeviceState.DEGRADED})


@dataclass(frozen=True, slots=True)
class Capacity:
    working_sets: int
    total_sets: int
    #: When capacity reached 0 (None while at least one set works, or with no sets).
    stopped_since: datetime | None


def recording_capacity(devices: Iterable[Device], states: dict[uuid.UUID, DeviceState]) -> Capacity:
    listed = list(devices)
    shared = [d for d in listed if d.recording_set == SHARED]
    sets: dict[str, list[Device]] = defaultdict(list)
    for device in listed:
        if device.recording_set and device.recording_set != SHARED:
            sets[device.recording_set].append(device)
    working, broken_since = 0, []
    for members in sets.values():
        failing = [d for d in [*members, *shared] if states.get(d.id) not in WORKING]
        if not failing:
            working += 1
            continue
        since = [d.logged_state_since for d in failing if d.logged_state_since is not None]
        if since:
            broken_since.append(min(since))
    stopped = None
    if sets and working == 0 and broken_since:
        stopped = max(broken_since)
    return Capacity(working, len(sets), stopped)
