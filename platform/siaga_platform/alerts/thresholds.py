"""The rules' thresholds people change: a regency's own overrides (set by its head of office)
over its province's defaults (set by the province supervisor) over the built-in values.

Stored one row per (regency, threshold) and per (province, threshold): a threshold left empty
on the form has no row and follows the level below it. Low cover and backlog age start from the
regency's own settings (``Regency.low_stock_days`` / ``prr_alert_days``) instead of the
built-in values. Every change is audited; a value outside ``LIMITS`` is refused and nothing is
saved. The evaluator reads all of it in two statements for every regency at once.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.alerts.rules import LIMITS, Thresholds
from siaga_platform.audit import service as audit
from siaga_platform.db.base import Base, utcnow
from siaga_platform.errors import InvalidInput
from siaga_platform.rollup.rows import Regency
from siaga_platform.tenancy.models import TenantScoped
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.text import N_

#: Each changeable threshold as people read it: (label, unit), in the form's order.
LABELS: dict[str, tuple[str, str]] = {
    "set_down_minutes": (N_("Satu set perekaman mati lebih dari"), N_("menit")),
    "device_down_minutes": (N_("Perangkat diam atau rusak lebih dari"), N_("menit")),
    "centre_request_days": (N_("Permintaan ke pusat menunggu lebih dari"), N_("hari")),
    "low_cover_days": (N_("Blanko cukup untuk kurang dari"), N_("hari")),
    "backlog_oldest_days": (N_("Permohonan tertua menunggu cetak lebih dari"), N_("hari")),
    "backlog_count": (N_("Permohonan menunggu cetak lebih dari"), N_("permohonan")),
    "letters_expiring": (N_("Suket segera habis masa berlakunya lebih dari"), N_("suket")),
    "silent_hours": (N_("Kabupaten/kota tanpa kegiatan selama"), N_("jam")),
    "incident_ack_hours": (N_("Kejadian perangkat belum ditanggapi provinsi selama"), N_("jam")),
    "escalate_after_minutes": (N_("Eskalasi bila belum ditanggapi setelah"), N_("menit")),
    "remind_every_minutes": (N_("Pengingat diulang setiap"), N_("menit")),
}
NAMES = tuple(f.name for f in fields(Thresholds))
assert set(NAMES) == set(LABELS) == set(LIMITS), "every threshold has a label and bounds"

REGENCY, PROVINCE, REGENCY_SETTINGS, BUILT_IN = "kabupaten", "provinsi", "pengaturan", "bawaan"


class AlertThreshold(TenantScoped, Base):
    """A regency's own value of one threshold (its head of office set it)."""

    __tablename__ = "alert_thresholds"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120))


class ProvinceAlertThreshold(Base):
    """A province-wide default of one threshold (reference-like: keyed by province code)."""

    __tablename__ = "province_alert_thresholds"

    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120))


# --- reading ---------------------------------------------------------------------------------


async def regency_overrides(db: AsyncSession) -> dict[uuid.UUID, dict[str, int]]:
    """Per tenant in scope, its own values (one statement for any number of regencies)."""
    found: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    rows = await db.execute(
        select(AlertThreshold.tenant_id, AlertThreshold.name, AlertThreshold.value)
    )
    for tenant_id, name, value in rows:
        found[tenant_id][name] = value
    return dict(found)


async def province_defaults(
    db: AsyncSession, province_codes: Collection[str]
) -> dict[str, dict[str, int]]:
    """Per province, its defaults (one statement)."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    if not province_codes:
        return {}
    rows = await db.execute(
        select(
            ProvinceAlertThreshold.province_code,
            ProvinceAlertThreshold.name,
            ProvinceAlertThreshold.value,
        ).where(ProvinceAlertThreshold.province_code.in_(sorted(set(province_codes))))
    )
    for code, name, value in rows:
        found[code][name] = value
    return dict(found)


def base_for(regency: Regency | None) -> Thresholds:
    """The built-in values, with the regency's own stock and backlog settings for those two."""
    if regency is None:
        return Thresholds()
    return Thresholds(
        low_cover_days=regency.low_stock_days, backlog_oldest_days=regency.prr_alert_days
    )


def compose(
    regency: Regency | None,
    province: Mapping[str, int] | None = None,
    own: Mapping[str, int] | None = None,
) -> Thresholds:
    """Regency override > province default > the base (``base_for``)."""
    return base_for(regency).with_overrides(dict(province or {})).with_overrides(dict(own or {}))


@dataclass(frozen=True, slots=True)
class Line:
    """One threshold on a settings page: the value in force and where it comes from."""

    name: str
    label: str
    unit: str
    low: int
    high: int
    value: int
    source: str  # REGENCY, PROVINCE, REGENCY_SETTINGS or BUILT_IN
    own: int | None  # the level being edited (regency or province), None when empty
    inherited: int  # what applies when ``own`` is empty


def lines(
    regency: Regency | None,
    province: Mapping[str, int],
    own: Mapping[str, int] | None,
) -> list[Line]:
    """Every threshold explained. ``own`` None: the province page (province values editable)."""
    base = base_for(regency)
    built_in = Thresholds()
    out = []
    for name in NAMES:
        base_value = getattr(base, name)
        base_source = BUILT_IN if base_value == getattr(built_in, name) else REGENCY_SETTINGS
        if own is None:  # editing the province default
            value, source = (
                (province[name], PROVINCE) if name in province else (base_value, base_source)
            )
            edited, inherited = province.get(name), base_value
        else:
            inherited, inherited_source = (
                (province[name], PROVINCE) if name in province else (base_value, base_source)
            )
            value, source = (own[name], REGENCY) if name in own else (inherited, inherited_source)
            edited = own.get(name)
        label, unit = LABELS[name]
        low, high = LIMITS[name]
        out.append(Line(name, label, unit, low, high, value, source, edited, inherited))
    return out


# --- changing --------------------------------------------------------------------------------


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")


def parse(raw: Mapping[str, str | None]) -> dict[str, int | None]:
    """The form's values: a whole number within ``LIMITS``, or None (empty: follow the level
    below). Names not sent are left out (unchanged). The first bad value is refused."""
    parsed: dict[str, int | None] = {}
    for name in NAMES:
        if name not in raw:
            continue
        text = (raw[name] or "").strip()
        if _GROUPED.match(text):  # 1.000 as Indonesians write a thousand
            text = text.replace(".", "")
        label, unit = LABELS[name]
        if not text:
            parsed[name] = None
            continue
        if not (text.isascii() and text.isdigit()):
            raise InvalidInput(
                f"«{label}» harus bilangan bulat dalam {unit}, atau kosongkan untuk mengikuti "
                "nilai bawaan.",
                field=name,
            )
        low, high = LIMITS[name]
        value = int(text) if len(text) <= 9 else high + 1  # no 10,000-digit ints
        if not low <= value <= high:
            raise InvalidInput(
                f"«{label}» harus antara {_number(low)} dan {_number(high)} {unit}.", field=name
            )
        parsed[name] = value
    return parsed


async def _apply(
    db: AsyncSession,
    current: Mapping[str, AlertThreshold | ProvinceAlertThreshold],
    wanted: Mapping[str, int | None],
    new_row: Callable[[str, int], Base],
    *,
    actor_subject: str,
    now: datetime,
) -> dict[str, list[int | None]]:
    changes: dict[str, list[int | None]] = {}
    for name, value in wanted.items():
        row = current.get(name)
        before = row.value if row else None
        if before == value:
            continue
        changes[name] = [before, value]
        if row is not None and value is None:
            await db.delete(row)
        elif row is None and value is not None:
            db.add(new_row(name, value))
        elif row is not None and value is not None:
            row.value, row.updated_at, row.updated_by = value, now, actor_subject
    await db.flush()
    return changes


async def save_regency(
    db: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    actor_subject: str,
    raw: Mapping[str, str | None],
    now: datetime,
) -> dict[str, list[int | None]]:
    """The head of office sets the regency's values (scope: that tenant, writable). Answers
    what changed ``{name: [before, after]}``; nothing is written when a value is refused."""
    wanted = parse(raw)
    query = select(AlertThreshold).where(AlertThreshold.tenant_id == tenant_id)
    current = {row.name: row for row in (await db.scalars(query)).all()}
    changes = await _apply(
        db,
        current,
        wanted,
        lambda name, value: AlertThreshold(
            tenant_id=tenant_id, name=name, value=value, updated_at=now, updated_by=actor_subject
        ),
        actor_subject=actor_subject,
        now=now,
    )
    if changes:
        await audit.record(
            db,
            tenant_id=tenant_id,
            actor_subject=actor_subject,
            action="alerts.thresholds_changed",
            object_type="alert_thresholds",
            object_id=str(tenant_id),
            details={"changes": changes},
        )
    return changes


async def save_province(
    db: AsyncSession,
    *,
    province_code: str,
    tenant_ids: Collection[uuid.UUID],
    actor_subject: str,
    raw: Mapping[str, str | None],
    now: datetime,
) -> dict[str, list[int | None]]:
    """The supervisor sets the province's defaults. The change is audited in every regency of
    the province (``tenant_ids``): each of them now fires by these values."""
    wanted = parse(raw)
    query = select(ProvinceAlertThreshold).where(
        ProvinceAlertThreshold.province_code == province_code
    )
    current = {row.name: row for row in (await db.scalars(query)).all()}
    changes = await _apply(
        db,
        current,
        wanted,
        lambda name, value: ProvinceAlertThreshold(
            province_code=province_code,
            name=name,
            value=value,
            updated_at=now,
            updated_by=actor_subject,
        ),
        actor_subject=actor_subject,
        now=now,
    )
    for tenant_id in sorted(tenant_ids) if changes else ():
        async with system_scope(
            db, TenantScope.single(tenant_id), why="alerts.thresholds.save_province"
        ):
            await audit.record(
                db,
                tenant_id=tenant_id,
                actor_subject=actor_subject,
                action="alerts.province_thresholds_changed",
                object_type="province_alert_thresholds",
                object_id=province_code,
                details={"changes": changes},
            )
    return changes
