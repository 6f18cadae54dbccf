"""Text: the translation marker ``N_`` for labels, and text that comes from outside (forms,
query strings, JSON, file names).

C0 control characters other than tab, newline and carriage return are refused wherever text
enters: PostgreSQL cannot store NUL in a text column (the request failed with a 500), SQLite
stored it raw, and no clerk types one on purpose. Tabs and line breaks stay allowed (notes span
lines).
"""

from __future__ import annotations

import re

from siaga_platform.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def N_(text: str) -> str:
    """Marks a label for the translation catalogs; the UI translates it per request."""
    return text


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def refuse_control_characters(value: str, *, field: str) -> None:
    """Raise ``InvalidInput`` naming ``field`` when ``value`` carries a control character."""
    if has_control_characters(value):
        raise InvalidInput(
            f"Isian '{field}' memuat karakter kontrol yang tidak diizinkan (mis. NUL). "
            "Hapus karakter itu (ketik ulang isiannya) lalu kirim lagi.",
            field=field,
        )
