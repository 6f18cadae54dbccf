"""Bahasa Indonesia first, English second.

Templates are written in Indonesian; the English catalog (locale/en/LC_MESSAGES/messages.po,
a Babel catalog) translates them. Catalogs are compiled in memory at start-up, so no build step.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from gettext import NullTranslations
from importlib import resources

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "siaga_lang"


@lru_cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    po_file = resources.files("siaga_web").joinpath(f"locale/{language}/LC_MESSAGES/messages.po")
    catalog = read_po(io.StringIO(po_file.read_text("utf-8")), locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick_language(cookie_value: str | None) -> str:
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE


def format_number(
    value: int | float | None, language: str = DEFAULT_LANGUAGE, digits: int | None = None
) -> str:
    """``2299`` → ``2.299`` in Indonesian, ``2,299`` in English; ``digits`` fixes the decimals
    (``14.25``, 1 → ``14,3`` / ``14.3``)."""
    if value is None:
        return "–"
    if digits is None:
        return format_decimal(value, locale=language)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=language)


def format_percent(share: float | None, language: str = DEFAULT_LANGUAGE, digits: int = 1) -> str:
    """A share (``0.94``) as a percentage: ``94,0 %`` in Indonesian, ``94.0%`` in English."""
    if share is None:
        return "–"
    figure = format_number(share * 100, language, digits)
    return f"{figure}\u00a0%" if language == "id" else f"{figure}%"


def format_day(value: date | datetime | None, language: str = DEFAULT_LANGUAGE) -> str:
    """``25 Apr 2017``."""
    if value is None:
        return "–"
    return format_date(value, format="d MMM y", locale=language)


def ago(moment: datetime | None, now: datetime, gettext: Callable[[str], str] = str) -> str:
    """``12 menit lalu``: how long a regency has been silent, in words (templates pass their
    ``_`` so the words follow the page's language)."""
    if moment is None:
        return gettext("belum pernah")
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 3600:
        return gettext("{n} menit lalu").format(n=seconds // 60)
    if seconds < 86400:
        return gettext("{n} jam lalu").format(n=seconds // 3600)
    return gettext("{n} hari lalu").format(n=seconds // 86400)
