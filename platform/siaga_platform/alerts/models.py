"""Alerts: one row per (regency, rule, subject) while it fires, its timeline, and the inbox.

An alert is opened when a rule's condition holds, kept (never duplicated) while it holds, and
resolved when it clears; acknowledging stops reminders and escalation, a silence mutes it until
a given time. Every step is an ``AlertEvent`` (append-only): the alert's timeline.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKeyConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import AppendOnly, Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped
from siaga_platform.text import N_


class Level(StrEnum):
    GAWAT = "gawat"  # act now: the office cannot serve
    PERHATIKAN = "perhatikan"  # look at it today


class Rule(StrEnum):
    RECORDING_STOPPED = "recording_stopped"  # every recording set down (Murung Raya, 2017)
    RECORDING_SET_DOWN = "recording_set_down"  # one set down for a while
    DEVICES_SILENT = "devices_silent"  # devices of one site down or faulty
    CARDS_OUT = "cards_out"  # no blank card left
    RIBBON_OUT = "ribbon_out"  # no ribbon print left
    LOW_COVER = "low_cover"  # fewer days of cards than the threshold
    CENTRE_REQUEST_PENDING = "centre_request_pending"  # a request to the centre waits too long
    BACKLOG_OLDEST = "backlog_oldest"  # the oldest application waiting to print is too old
    BACKLOG_COUNT = "backlog_count"  # too many waiting to print
    LETTERS_EXPIRING = "letters_expiring"  # many substitute letters expire within 14 days
    REGENCY_SILENT = "regency_silent"  # no heartbeat, ledger entry or application move at all
    INCIDENT_UNACKNOWLEDGED = "incident_unacknowledged"  # the province has not taken it in hand
    TURNED_AWAY_NOT_FALLING = "turned_away_not_falling"  # voters without card or letter stay


#: Each rule as people read it: the pages (translated) and the messages (Bahasa Indonesia).
RULE_TITLES: dict[Rule, str] = {
    Rule.RECORDING_STOPPED: N_("Perekaman berhenti"),
    Rule.RECORDING_SET_DOWN: N_("Set perekaman mati"),
    Rule.DEVICES_SILENT: N_("Perangkat diam atau rusak"),
    Rule.CARDS_OUT: N_("Blanko habis"),
    Rule.RIBBON_OUT: N_("Ribbon habis"),
    Rule.LOW_COVER: N_("Blanko hampir habis"),
    Rule.CENTRE_REQUEST_PENDING: N_("Permintaan ke pusat tertunda"),
    Rule.BACKLOG_OLDEST: N_("Permohonan menunggu cetak terlalu lama"),
    Rule.BACKLOG_COUNT: N_("Terlalu banyak permohonan menunggu cetak"),
    Rule.LETTERS_EXPIRING: N_("Banyak suket segera habis masa berlakunya"),
    Rule.REGENCY_SILENT: N_("Kabupaten/kota tanpa kegiatan"),
    Rule.INCIDENT_UNACKNOWLEDGED: N_("Kejadian perangkat belum ditanggapi provinsi"),
    Rule.TURNED_AWAY_NOT_FALLING: N_("Pemilih tanpa KTP-el atau suket tidak berkurang"),
}


class EventKind(StrEnum):
    OPENED = "opened"
    LEVEL_CHANGED = "level_changed"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    SILENCED = "silenced"
    RESOLVED = "resolved"


class Alert(TenantScoped, Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # At most one alert per (regency, rule, subject) until it is resolved.
        Index(
            "uq_alerts_open_subject",
            "tenant_id",
            "rule",
            "subject_key",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index(None, "tenant_id", "resolved_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    rule: Mapped[Rule] = mapped_column(String(32))
    #: What the alert is about within the regency: "" for the regency itself, a site's id.
    subject_key: Mapped[str] = mapped_column(String(64), default="")
    #: The subject as people read it (a site's name), never a person's data.
    subject_label: Mapped[str] = mapped_column(String(160), default="")
    level: Mapped[Level] = mapped_column(String(12))
    #: One sentence in Bahasa Indonesia with the figures (no NIK, no name).
    summary: Mapped[str] = mapped_column(String(400))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    acknowledgement_note: Mapped[str | None] = mapped_column(String(500))
    silenced_until: Mapped[datetime | None]
    silenced_by: Mapped[str | None] = mapped_column(String(120))
    silence_reason: Mapped[str | None] = mapped_column(String(500))
    #: 0 the regency's staff, 1 the province's supervisors, 2 the platform's admins.
    escalation_step: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]

    def silenced(self, now: datetime) -> bool:
        return self.silenced_until is not None and self.silenced_until > now

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class AlertEvent(TenantScoped, AppendOnly, Base):
    """A step in an alert's life, shown on its timeline (append-only)."""

    __tablename__ = "alert_events"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "alert_id"], ["alerts.tenant_id", "alerts.id"]),
        Index(None, "tenant_id", "alert_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    alert_id: Mapped[uuid.UUID]
    kind: Mapped[EventKind] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A person's SSO subject, or ``system:alerts`` for the evaluator.
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(String(500))
    escalation_step: Mapped[int] = mapped_column(default=0)
