"""A moment in the regency's own clock: ``2 Des 2026 13.05 WITA``.

The core cannot import the regions package (imports point from tenants to the platform), so the
three offsets are repeated here; a test holds them equal to ``siaga_tenants.regions.codes``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

#: Indonesia's three zones and their offsets from UTC (no daylight saving).
ZONE_OFFSET_HOURS = {"WIB": 7, "WITA": 8, "WIT": 9}
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def zone_of(label: str) -> timezone:
    """The fixed-offset zone of ``WIB``/``WITA``/``WIT``; anything else is a programming error."""
    try:
        hours = ZONE_OFFSET_HOURS[label]
    except KeyError:
        raise ValueError(f"unknown Indonesian time zone {label!r} (WIB, WITA or WIT)") from None
    return timezone(timedelta(hours=hours), label)


def to_local(moment: datetime, zone: str) -> datetime:
    if moment.tzinfo is None:
        # Siaga stores UTC everywhere; a naive moment is UTC, never the server's own clock.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone_of(zone))


def format_local_time(moment: datetime, zone: str) -> str:
    """``2 Des 2026 13.05 WITA``: the house date style, Indonesian time with a dot."""
    local = to_local(moment, zone)
    month = SHORT_MONTHS[local.month - 1]
    return f"{local.day} {month} {local.year} {local:%H.%M} {zone}"
