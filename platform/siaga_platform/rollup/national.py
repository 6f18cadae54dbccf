"""The national view: each province's regencies summed the right way.

Counts of things in the pipeline and letters in force are summed over regencies; blank cards
are the current balance of each regency summed (the last value per regency, never a sum over
time); regencies stopped, out of stock or silent are counted; the 30-day uptime is the mean of
the regencies' uptimes weighted by their recording sets.

Worst first (``worst_first``): provinces with regencies in trouble (any column red) first, by
how many, then by the sum of their regencies' severity scores, then by code; provinces with
no tenant yet come last, as "not joined" (no data), never as zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from siaga_platform.rollup.rows import STAGES, RegencyRow
from siaga_platform.rollup.severity import Level


@dataclass
class ProvinceTotals:
    code: str
    regencies: int = 0
    recording_stopped: int = 0
    working_sets: int = 0
    total_sets: int = 0
    open_incidents: int = 0
    backlog: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    cards_on_hand: int = 0
    out_of_stock: int = 0
    low_stock: int = 0
    letters_active: int = 0
    letters_expiring: int = 0
    letters_issued_this_month: int = 0
    letters_converted_this_month: int = 0
    silent: int = 0
    in_trouble: int = 0  # regencies with any column red
    uptime_30_days: float | None = None
    score: int = 0  # the regencies' severity scores summed (severity.py)

    @property
    def joined(self) -> bool:
        """Has at least one regency on the platform: without one there is no data, not zero."""
        return self.regencies > 0


def totals(rows: list[RegencyRow], province_codes: list[str]) -> list[ProvinceTotals]:
    by_code = {code: ProvinceTotals(code) for code in province_codes}
    weighted: dict[str, tuple[float, int]] = {}
    for row in rows:
        total = by_code[row.regency.province_code]
        total.regencies += 1
        total.recording_stopped += row.severity.levels["recording"] is Level.BAD
        total.working_sets += row.recording.working_sets
        total.total_sets += row.recording.total_sets
        total.open_incidents += row.recording.open_incidents
        for stage, count in row.applications.backlog.items():
            total.backlog[stage] += count
        total.cards_on_hand += row.stock.on_hand
        total.out_of_stock += row.stock.on_hand == 0
        total.low_stock += row.stock.low and row.stock.on_hand > 0
        total.letters_active += row.letters.active
        total.letters_expiring += row.letters.expiring
        total.letters_issued_this_month += row.letters.issued_this_month
        total.letters_converted_this_month += row.letters.converted_this_month
        total.silent += row.severity.levels["freshness"] is Level.BAD
        total.in_trouble += row.severity.worst is Level.BAD
        total.score += row.severity.score
        if row.recording.uptime_30_days is not None and row.recording.total_sets:
            share, sets = weighted.get(total.code, (0.0, 0))
            weighted[total.code] = (
                share + row.recording.uptime_30_days * row.recording.total_sets,
                sets + row.recording.total_sets,
            )
    for code, (share, sets) in weighted.items():
        by_code[code].uptime_30_days = share / sets if sets else None
    return [by_code[code] for code in province_codes]


def worst_first(totals: list[ProvinceTotals]) -> list[ProvinceTotals]:
    return sorted(
        totals,
        key=lambda t: (not t.joined, -t.in_trouble, -t.score, t.code),
    )
