"""Rules of the Kemendagri code system (``PP.RR.KK``). Never mix with BPS numbering."""

from __future__ import annotations

import re

from siaga_tenants.regions.models import RegencyKind, TimeZone

REGENCY_CODE = re.compile(r"^\d{2}\.\d{2}$")

# Provinces on Central (UTC+8) and Eastern (UTC+9) Indonesian time; all others are WIB (UTC+7).
_WITA_PROVINCES = frozenset(
    {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
)
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})

UTC_OFFSET_HOURS = {TimeZone.WIB: 7, TimeZone.WITA: 8, TimeZone.WIT: 9}


def province_timezone(province_code: str) -> TimeZone:
    if province_code in _WIT_PROVINCES:
        return TimeZone.WIT
    if province_code in _WITA_PROVINCES:
        return TimeZone.WITA
    return TimeZone.WIB


def regency_kind(regency_code: str) -> RegencyKind:
    """Kabupaten are numbered 01–69, kota 71–99."""
    return RegencyKind.KOTA if int(regency_code[3:5]) >= 71 else RegencyKind.KABUPATEN


def normalize_regency_code(raw: str) -> str | None:
    """``62.12``, ``6212`` or `` 62.12 `` → ``62.12``; anything else → None."""
    value = raw.strip()
    if re.fullmatch(r"\d{4}", value):
        value = f"{value[:2]}.{value[2:]}"
    return value if REGENCY_CODE.match(value) else None
