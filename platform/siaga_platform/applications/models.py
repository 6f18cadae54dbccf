"""Applications, their append-only timeline, and the counts kept beside them for cheap reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.applications.statuses import CLOSED
from siaga_platform.db.base import AppendOnly, Base, new_id, utcnow
from siaga_platform.privacy.crypto import BARE_SEARCH_KEY_ID
from siaga_platform.tenancy.models import TenantScoped

_OPEN_ONLY = "status NOT IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(CLOSED)))


class Reason(StrEnum):
    FIRST_CARD = "first_card"  # pemula, 17 tahun
    DAMAGED = "damaged"
    LOST = "lost"
    DATA_CHANGE = "data_change"
    MOVING_IN = "moving_in"
    UNSPECIFIED = "unspecified"  # imported from a recording PC, which does not record it


class Priority(StrEnum):
    """Ditjen Dukcapil's order for scarce blank cards (rank 1 first)."""

    FIRST_TIME = "first_time"
    DISASTER = "disaster"
    LETTER_HOLDER_PRR = "letter_holder_prr"
    LOST_DAMAGED = "lost_damaged"
    DATA_CHANGE = "data_change"
    OTHER = "other"


PRIORITY_RANK = {p: i + 1 for i, p in enumerate(Priority)}
DEFAULT_PRIORITY = {
    Reason.FIRST_CARD: Priority.FIRST_TIME,
    Reason.DAMAGED: Priority.LOST_DAMAGED,
    Reason.LOST: Priority.LOST_DAMAGED,
    Reason.DATA_CHANGE: Priority.DATA_CHANGE,
    Reason.MOVING_IN: Priority.OTHER,
    Reason.UNSPECIFIED: Priority.OTHER,
}


class Application(TenantScoped, Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One open application per NIK per tenant, enforced where concurrency cannot break it.
        Index(
            "uq_applications_open_nik",
            "tenant_id",
            "nik_hash",
            unique=True,
            sqlite_where=text(_OPEN_ONLY),
            postgresql_where=text(_OPEN_ONLY),
        ),
        Index(None, "tenant_id", "nik_hash"),
        Index(None, "tenant_id", "status", "id"),
        Index(None, "tenant_id", "status", "status_since"),
        Index(None, "tenant_id", "kecamatan_code", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Personal data: the NIK and the name are stored encrypted (AES-GCM, key id beside them);
    # the NIK is found by its keyed hash and shown masked in lists.
    nik_hash: Mapped[str] = mapped_column(String(40))
    nik_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    nik_masked: Mapped[str] = mapped_column(String(16))
    name_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(32))
    #: The search key that made ``nik_hash`` and the name words (the NIK's letters share it).
    search_key_id: Mapped[str] = mapped_column(String(32), server_default=BARE_SEARCH_KEY_ID)
    birth_place: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(String(1))
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("kecamatan.code"))
    desa: Mapped[str] = mapped_column(String(80))
    reason: Mapped[Reason] = mapped_column(String(16))
    priority: Mapped[Priority] = mapped_column(String(20))
    recording_site: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    status_since: Mapped[datetime]
    registered_on: Mapped[date]
    recorded_at: Mapped[datetime | None]
    prr_at: Mapped[datetime | None]
    printed_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
    import_job_id: Mapped[uuid.UUID | None]
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping


class ApplicationEvent(TenantScoped, AppendOnly, Base):
    """One move on the timeline: who, when, from, to, note. Never changed."""

    __tablename__ = "application_events"
    # No foreign key to applications, on purpose: events and name words are written only with
    # their application, in its transaction (service and bulk writer), and the per-row key
    # checks cut a CSV import from ~4,600 to ~1,100 rows/s here (benchmarks/README.md).
    __table_args__ = (Index(None, "tenant_id", "application_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID]
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_subject: Mapped[str] = mapped_column(String(255))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class ApplicationNameWord(TenantScoped, Base):
    """Keyed hashes of the words of a name: name search without decrypting anything."""

    __tablename__ = "application_name_words"  # no foreign key: see ApplicationEvent

    word_hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class ApplicationStatusCount(TenantScoped, Base):
    """Backlog per status, kept in step with every move (the province view reads this)."""

    __tablename__ = "application_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    #: When an application last moved in or out of this status (the province's freshness).
    updated_at: Mapped[datetime | None]


class ApplicationDuration(TenantScoped, Base):
    """Per day and metric, how many applications took how many days (medians without scans).

    Metrics: ``recorded_to_prr`` and ``prr_to_printed`` (days), ``printed`` (days = 0).
    """

    __tablename__ = "application_durations"

    day: Mapped[date] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    days: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(TenantScoped, Base):
    """A CSV from a recording PC, processed in the background; the file is kept with the job
    so any replica can process it."""

    __tablename__ = "application_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[ImportStatus] = mapped_column(String(10), default=ImportStatus.QUEUED)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    #: Runs so far (a worker that died mid-file leaves it to the next run, up to a limit).
    attempts: Mapped[int] = mapped_column(default=0)
    #: Last sign of life of the run: set when it starts and after every chunk.
    progress_at: Mapped[datetime | None]


class ImportRowError(TenantScoped, Base):
    __tablename__ = "application_import_errors"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "job_id"], ["application_imports.tenant_id", "application_imports.id"]
        ),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    row_number: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
