"""The sentences of the alerts, one catalog for building and for reading them back.

An alert keeps its summary as the Indonesian sentence (messages and e-mails carry it as is).
The pages show it in the reader's language: ``read`` finds which sentence a stored summary is
and its figures, so the web layer translates the sentence through the catalog and writes the
figures in the reader's number format. A summary that matches none (older wording) is shown
as stored.
"""

from __future__ import annotations

import re
from functools import cache

from siaga_platform.text import N_

#: Indonesian source sentences marked N_(); ``{name}`` fields hold figures, ``{site}`` a name.
SENTENCES = {
    "recording_stopped": N_("Perekaman berhenti: 0 dari {total} set perekaman berfungsi."),
    "set_down": N_("{down} dari {total} set perekaman tidak berfungsi lebih dari {minutes} menit."),
    "cards_out": N_("Blanko KTP-el habis (stok 0)."),
    "low_cover_owed": N_(
        "Blanko tersisa {on_hand} lembar, kurang {owed} lembar untuk {waiting} permohonan "
        "yang menunggu cetak."
    ),
    "low_cover": N_(
        "Blanko tersisa {on_hand} lembar, cukup untuk sekitar {days} hari (batas {limit} hari)."
    ),
    "backlog_oldest": N_(
        "Permohonan tertua menunggu cetak sudah {days} hari (batas {limit} hari)."
    ),
    "backlog_count": N_("{waiting} permohonan menunggu cetak (batas {limit})."),
    "silent_never": N_(
        "Kabupaten/kota diam: belum pernah ada kegiatan tercatat (tidak ada detak perangkat, "
        "mutasi stok, atau perubahan status permohonan)."
    ),
    "silent_hours": N_(
        "Kabupaten/kota diam: tidak ada kegiatan lebih dari {hours} jam (tidak ada detak "
        "perangkat, mutasi stok, atau perubahan status permohonan)."
    ),
    "devices_silent": N_(
        "{devices} perangkat di {site} diam atau rusak lebih dari {minutes} menit."
    ),
    "incident_unacknowledged": N_(
        "Kejadian perangkat terbuka lebih dari {hours} jam tanpa tanggapan supervisor provinsi."
    ),
    "ribbon_out": N_("Ribbon pencetak habis: kartu tidak dapat dicetak."),
    "letters_expiring": N_(
        "{count} suket habis masa berlakunya dalam {days} hari (batas {limit})."
    ),
    "turned_away_not_falling": N_(
        "{count} penduduk tidak akan memegang KTP-el maupun suket yang berlaku pada hari "
        "pemungutan suara ({days_left} hari lagi); {days} hari lalu {before}: belum berkurang."
    ),
    "centre_request": N_("Permintaan blanko ke pusat menunggu {days} hari (batas {limit} hari)."),
}
#: Fields that hold a name, not a figure.
TEXT_FIELDS = frozenset({"site"})
_FIELD = re.compile(r"\{(\w+)\}")


def number(value: float) -> str:
    """A figure in a stored (Indonesian) sentence: ``2.373``."""
    return f"{value:,.0f}".replace(",", ".")


def sentence(key: str, **values: float | str) -> str:
    """The Indonesian sentence ``key`` with its figures written in."""
    shown = {k: v if isinstance(v, str) else number(v) for k, v in values.items()}
    return SENTENCES[key].format(**shown)


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for key, text in SENTENCES.items():
        parts, last = [], 0
        for match in _FIELD.finditer(text):
            parts.append(re.escape(text[last : match.start()]))
            name = match.group(1)
            parts.append(f"(?P<{name}>.+?)" if name in TEXT_FIELDS else rf"(?P<{name}>\d[\d.]*)")
            last = match.end()
        parts.append(re.escape(text[last:]))
        found.append((key, re.compile("".join(parts) + r"\Z")))
    return found


def read(summary: str) -> tuple[str, dict[str, int | str]] | None:
    """Which sentence ``summary`` is, and its values (figures as numbers); None: none."""
    for key, pattern in _patterns():
        match = pattern.match(summary)
        if match:
            return key, {
                name: value if name in TEXT_FIELDS else int(value.replace(".", ""))
                for name, value in match.groupdict().items()
            }
    return None
