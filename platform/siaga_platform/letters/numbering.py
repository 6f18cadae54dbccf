"""Letter numbers: per tenant per year, strictly sequential, in the tenant's own format."""

from __future__ import annotations

import re

from siaga_platform.errors import InvalidInput

SEQUENCE = "{nomor}"
YEAR = "{tahun}"
_ALLOWED = re.compile(r"^[A-Za-z0-9 ./\-_{}]+$")


def check_format(number_format: str) -> str:
    """A format holds ``{nomor}`` and ``{tahun}`` once each, so numbers stay unique per year."""
    cleaned = number_format.strip()
    if cleaned.count(SEQUENCE) != 1 or cleaned.count(YEAR) != 1:
        raise InvalidInput(
            "Format nomor harus memuat {nomor} dan {tahun} masing-masing satu kali, "
            "misalnya 470/{nomor}/DISDUKCAPIL/{tahun}.",
            field="letter_number_format",
        )
    rest = cleaned.replace(SEQUENCE, "").replace(YEAR, "")
    if not _ALLOWED.match(cleaned) or "{" in rest or "}" in rest or len(cleaned) > 60:
        raise InvalidInput(
            "Format nomor hanya boleh berisi huruf, angka, spasi dan . / - _ (paling banyak 60).",
            field="letter_number_format",
        )
    return cleaned


def format_number(number_format: str, *, sequence: int, year: int) -> str:
    return number_format.replace(SEQUENCE, f"{sequence:04d}").replace(YEAR, str(year))
