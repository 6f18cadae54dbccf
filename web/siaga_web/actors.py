"""Who did something, as a person reads it: a name, never an SSO subject or ``system:...``.

Ledgers, timelines and alert pages record an actor's subject; the pages show the person's name
(from the user table), or a label for Siaga's own actors. An actor nobody knows any more (a user
since removed) is shown as such, not as the raw subject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.text import N_
from siaga_tenants.memberships import repository as people

#: Siaga's own actors (``system:<name>``), labelled; Indonesian source strings, marked N_().
SYSTEM_LABELS = {
    "system:alerts": N_("Siaga (otomatis)"),
    "system:hardware-watch": N_("Siaga (pemantau perangkat)"),
    "system:maintenance": N_("Siaga (jadwal perawatan)"),
    "system:demo-seed": N_("Data demo"),
    "system:cli": N_("Admin (baris perintah)"),
    "system:warm-up": N_("Sistem"),
}
SYSTEM_LABEL = N_("Sistem")
UNKNOWN_LABEL = N_("Pengguna tidak dikenal")


async def names(db: AsyncSession, subjects: Iterable[str | None]) -> dict[str, str]:
    """The display names of the people among ``subjects`` (one statement)."""
    return await people.display_names(db, {s for s in subjects if s and not is_system(s)})


def is_system(subject: str) -> bool:
    return subject.startswith("system:")


def label(subject: str | None, known: dict[str, str] | None, gettext: Callable[[str], str]) -> str:
    """The name shown for ``subject``: the person's name, a system label, or "unknown"."""
    if not subject:
        return "–"
    if known and subject in known and not is_system(subject):
        return known[subject]
    if is_system(subject):
        return gettext(SYSTEM_LABELS.get(subject, SYSTEM_LABEL))
    return gettext(UNKNOWN_LABEL)
