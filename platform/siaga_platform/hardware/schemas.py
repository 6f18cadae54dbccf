"""The heartbeat's shapes on the wire, shared by the route (routes/hardware_api.py) and the
heartbeat lane that takes most single beats before the framework (siaga_web/heartbeat_lane.py):
one definition of what a well-formed beat is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from siaga_platform.hardware.models import BeatStatus

#: The longest device token a request may carry (they are 43 characters when issued).
TOKEN_HEADER_MAX = 200


class BeatBody(BaseModel):
    taken_at: datetime = Field(description="When the check was made, with its time zone")
    status: BeatStatus
    readings: dict[str, Any] = Field(
        default_factory=dict, examples=[{"printer_temp_c": 165, "disk_free_gb": 41.5}]
    )


class BatchItem(BeatBody):
    device_token: str = Field(max_length=TOKEN_HEADER_MAX)


class Batch(BaseModel):
    heartbeats: list[BatchItem] = Field(min_length=1, max_length=500)


class BeatAnswer(BaseModel):
    accepted: int
    duplicates: int


class RefusedBeat(BaseModel):
    index: int = Field(description="Position of the beat in the batch, from 0")
    reason: str
    field: str | None = None


class BatchAnswer(BeatAnswer):
    refused: list[RefusedBeat] = Field(
        default_factory=list,
        description="Beats not taken and why (too old, in the future, bad readings); every "
        "other beat of the batch was taken. Sending a refused beat again will not help.",
    )
