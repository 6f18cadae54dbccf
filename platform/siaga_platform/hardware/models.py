"""Sites of a regency office, their devices, and the heartbeats the devices send."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, ForeignKeyConstraint, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import AppendOnly, Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped


class SiteKind(StrEnum):
    OFFICE = "office"  # kantor Disdukcapil
    KECAMATAN = "kecamatan"  # service point at a kecamatan
    MOBILE = "mobile"  # mobile recording unit


class DeviceKind(StrEnum):
    RECORDING_SERVER = "recording_server"
    RECORDING_PC = "recording_pc"
    CAMERA = "camera"
    FINGERPRINT_SCANNER = "fingerprint_scanner"
    IRIS_SCANNER = "iris_scanner"
    SIGNATURE_PAD = "signature_pad"
    CARD_PRINTER = "card_printer"
    CARD_READER = "card_reader"
    ROUTER = "router"
    UPS = "ups"


class Funding(StrEnum):
    APBN = "APBN"  # central budget: repairs go through the ministry
    APBD = "APBD"  # regency budget: repaired locally


class BeatStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    FAULT = "fault"


class Site(TenantScoped, Base):
    __tablename__ = "hardware_sites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[SiteKind] = mapped_column(String(12))
    kecamatan_code: Mapped[str | None] = mapped_column(ForeignKey("kecamatan.code"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Device(TenantScoped, Base):
    """A device and the state kept from its heartbeats (the derived status reads these)."""

    __tablename__ = "hardware_devices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "site_id"], ["hardware_sites.tenant_id", "hardware_sites.id"]
        ),
        Index(None, "tenant_id", "site_id"),
        Index(None, "tenant_id", "silent_after"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID]
    kind: Mapped[DeviceKind] = mapped_column(String(24))
    label: Mapped[str] = mapped_column(String(120))
    serial: Mapped[str | None] = mapped_column(String(80))
    asset_tag: Mapped[str | None] = mapped_column(String(80))
    funding: Mapped[Funding] = mapped_column(String(4))
    installed_on: Mapped[date | None]
    #: A recording set groups the devices that together record one person; "*" marks a device
    #: every set needs (the regency's recording server).
    recording_set: Mapped[str | None] = mapped_column(String(60))
    expected_interval_seconds: Mapped[int] = mapped_column(default=60)
    last_beat_at: Mapped[datetime | None]
    #: When the device counts as silent if no beat comes (last beat + interval × missed
    #: beats); the sweep looks only at devices past it (indexed), not at every device.
    silent_after: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(10))
    #: Consecutive good beats since the device last failed (up again only after K of them).
    good_streak: Mapped[int] = mapped_column(default=0)
    recovering: Mapped[bool] = mapped_column(default=False)
    #: The derived state last written to the state log, and since when (kept by the sweep).
    logged_state: Mapped[str] = mapped_column(String(12), default="unknown")
    logged_state_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeviceToken(Base):
    """Registry of device tokens (hashes only), readable before the tenant is known: the
    heartbeat endpoint learns the tenant from the token."""

    __tablename__ = "hardware_device_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    device_id: Mapped[uuid.UUID] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Heartbeat(TenantScoped, AppendOnly, Base):
    """One beat; the key makes a beat sent twice count once."""

    __tablename__ = "hardware_heartbeats"

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    readings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeviceHour(TenantScoped, Base):
    """One device's hour, rolled up by the worker from its raw beats and its state log
    (planned maintenance left out): kept two years, long after the raw beats are dropped, and
    what uptime over long ranges is summed from."""

    __tablename__ = "hardware_hourly"
    #: A range of hours of the regency, all its devices (the key leads with the device).
    __table_args__ = (Index(None, "tenant_id", "hour"),)

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # its start, UTC
    #: The hour's place in the UTC week (0 = Monday 00:00 UTC): any zone's office hours are a
    #: set of these, picked in SQL without the databases' date functions.
    week_hour: Mapped[int] = mapped_column(SmallInteger)
    beats: Mapped[int]
    ok: Mapped[int]
    degraded: Mapped[int]
    fault: Mapped[int]
    #: Seconds of the hour the device was up (up or degraded), and counted at all (its state
    #: known: up, degraded, down or unreachable), planned maintenance left out of both.
    up_seconds: Mapped[float]
    counted_seconds: Mapped[float]


class DeviceDay(TenantScoped, Base):
    """One device's UTC day, the sum of its rolled-up hours: a year of a regency is ~36,500
    of these instead of ~876,000 hours (uptime over whole days reads these)."""

    __tablename__ = "hardware_daily"
    #: The days at a range's edges, all the regency's devices (the key leads with the device).
    __table_args__ = (Index(None, "tenant_id", "day"),)

    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    beats: Mapped[int]
    up_seconds: Mapped[float]
    counted_seconds: Mapped[float]


class DeviceWeekHourMonth(TenantScoped, Base):
    """One device's sums over the hours of one UTC month that share a place in the UTC week
    (``week_hour``), kept beside its hours. Office hours, whatever a regency sets, are a set of
    week-hours, so a whole month of office hours is at most 168 of these per device instead of
    ~720 hours; the hours of the edge months come from ``DeviceHour``."""

    __tablename__ = "hardware_weekhour_monthly"

    #: The key leads with the week-hour: office hours pick ~40 of the 168, each a range of
    #: months of all the regency's devices.
    week_hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day (UTC)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    up_seconds: Mapped[float]
    counted_seconds: Mapped[float]


class DeviceMonth(TenantScoped, Base):
    """One device's UTC month, the sum of its week-hour rows: all its hours, and its office
    hours as the regency set them when the month was last summed (``RolledMonth``). A year of
    a regency is ~1,200 of these: uptime over whole months reads these, not ~36,500 days or
    ~44,000 week-hours."""

    __tablename__ = "hardware_monthly"

    #: The key leads with the month: a range of months of all the regency's devices.
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day (UTC)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    up_seconds: Mapped[float]
    counted_seconds: Mapped[float]
    office_up_seconds: Mapped[float]
    office_counted_seconds: Mapped[float]


class RolledMonth(TenantScoped, Base):
    """A month whose ``DeviceMonth`` rows are summed, and for which office hours (None: none
    known when summed). A month without one, or summed for other office hours than the page
    asks for, is read from the days or the week-hours instead: never a wrong figure, only a
    slower one until the worker sums it again."""

    __tablename__ = "hardware_monthly_marks"

    month: Mapped[date] = mapped_column(primary_key=True)
    office_utc_offset_hours: Mapped[int | None] = mapped_column(SmallInteger)
    office_opens: Mapped[int | None] = mapped_column(SmallInteger)
    office_closes: Mapped[int | None] = mapped_column(SmallInteger)


class HourlyRollup(TenantScoped, Base):
    """Up to when a regency's hours are rolled up (the next run starts there)."""

    __tablename__ = "hardware_hourly_marks"

    rolled_until: Mapped[datetime]


class IncidentCause(StrEnum):
    LIGHTNING = "lightning"
    POWER = "power"
    NETWORK = "network"
    HARDWARE_FAULT = "hardware_fault"
    THEFT = "theft"
    CENTRAL_DATA_CENTRE = "central_data_centre"
    CONSUMABLE = "consumable"  # e.g. printer ribbon ran out
    OTHER = "other"
    UNKNOWN = "unknown"  # opened automatically, cause not yet known


class DeviceStateChange(TenantScoped, AppendOnly, Base):
    """When a device's derived state changed: uptime is integrated from these."""

    __tablename__ = "hardware_state_changes"
    __table_args__ = (Index(None, "tenant_id", "device_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    device_id: Mapped[uuid.UUID]
    at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12))


class Incident(TenantScoped, Base):
    __tablename__ = "hardware_incidents"
    __table_args__ = (Index(None, "tenant_id", "closed_at", "opened_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    #: What went down: one device, a recording set at a site (``recording_set``), or a whole
    #: site (neither device nor set); an incident reported by hand may name only the site.
    device_id: Mapped[uuid.UUID | None]
    site_id: Mapped[uuid.UUID | None]
    recording_set: Mapped[str | None] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    cause: Mapped[IncidentCause] = mapped_column(String(24))
    opened_automatically: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(500))
    funding: Mapped[str | None] = mapped_column(String(4))
    reported_to_ministry_on: Mapped[date | None]
    ministry_reference: Mapped[str | None] = mapped_column(String(120))
    expected_repair_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping

    @property
    def level(self) -> str:
        """What went down: ``device``, ``set`` or ``site`` (the province timeline's bars)."""
        if self.device_id is not None:
            return "device"
        return "set" if self.recording_set else "site"


class IncidentEvent(TenantScoped, AppendOnly, Base):
    """The incident's timeline: opened, escalated, note, acknowledged, closed."""

    __tablename__ = "hardware_incident_events"
    __table_args__ = (Index(None, "tenant_id", "incident_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    incident_id: Mapped[uuid.UUID]
    at: Mapped[datetime]
    actor_subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(1000))


class MaintenanceWindow(TenantScoped, Base):
    """Planned downtime of a device or a whole site: opens no incident, not counted in uptime."""

    __tablename__ = "hardware_maintenance"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    device_id: Mapped[uuid.UUID | None]
    site_id: Mapped[uuid.UUID | None]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(255))


class HardwareSummary(TenantScoped, Base):
    """One row per regency, kept current by the events (state changes, incidents, devices):
    what the province view reads instead of recomputing the board of every regency."""

    __tablename__ = "hardware_summaries"

    working_sets: Mapped[int] = mapped_column(default=0)
    total_sets: Mapped[int] = mapped_column(default=0)
    recording_stopped_since: Mapped[datetime | None]
    devices_down: Mapped[int] = mapped_column(default=0)
    open_incidents: Mapped[int] = mapped_column(default=0)
    oldest_incident_title: Mapped[str | None] = mapped_column(String(200))
    oldest_incident_cause: Mapped[str | None] = mapped_column(String(24))
    oldest_incident_opened_at: Mapped[datetime | None]
    #: Recording availability over the last 30 days (share of the recording sets' time they
    #: could record, ``board.recording_share``; not a mean of device uptimes, which let a
    #: stopped office read 94 %). It moves slowly, so the sweep refreshes it about hourly.
    uptime_30_days: Mapped[float | None]
    uptime_as_of: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
