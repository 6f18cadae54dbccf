"""How bad a regency looks: the one place the rollup's colours, words and order come from.

Each column gets a level: ``bad`` (red ✖), ``warn`` (amber ▲), ``ok`` (green ●) or ``none``
(grey ○, nothing to judge). The rules:

- recording: bad when every recording set is down (recording has stopped); warn when some set
  is down or an incident is open; none without registered sets.
- applications: bad when the oldest record waiting to be printed (PRR or print queue) has
  waited twice the regency's ``prr_waiting_alert_days``; warn from once that.
- blank cards: bad when none are left; warn below the regency's days of cover threshold.
- letters: bad from 1,000 letters in force; warn from 100, or when letters are past their date
  but not revoked.
- uptime (recording availability over 30 days, the share of the recording sets' time they
  could record): bad below 80 %, warn below 95 %; none when nothing is known.
- freshness: bad when nothing (heartbeat, ledger entry, application move) came for 24 hours;
  warn after 2 hours.

The worst regency comes first: the score is the sum of the levels (ok 0, warn 1, bad 3)
weighted recording 4, blank cards 3, freshness 3, letters 2, applications 2, uptime 1; ties go
to the longest recording stop, then the longest stock-out, then the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Level(StrEnum):
    NONE = "none"
    OK = "ok"
    WARN = "warn"
    BAD = "bad"


POINTS = {Level.NONE: 0, Level.OK: 0, Level.WARN: 1, Level.BAD: 3}
WEIGHTS = {
    "recording": 4,
    "stock": 3,
    "freshness": 3,
    "letters": 2,
    "applications": 2,
    "uptime": 1,
}
AVAILABILITY_BAD = 0.80
AVAILABILITY_WARN = 0.95
LETTERS_BAD = 1_000
LETTERS_WARN = 100
SILENT_BAD = timedelta(hours=24)
SILENT_WARN = timedelta(hours=2)


def recording(working_sets: int, total_sets: int, open_incidents: int) -> Level:
    if total_sets == 0:
        return Level.NONE
    if working_sets == 0:
        return Level.BAD
    return Level.WARN if working_sets < total_sets or open_incidents else Level.OK


def applications(oldest_waiting_days: int | None, alert_days: int) -> Level:
    if oldest_waiting_days is None:
        return Level.OK
    if oldest_waiting_days >= 2 * alert_days:
        return Level.BAD
    return Level.WARN if oldest_waiting_days >= alert_days else Level.OK


def stock(on_hand: int, low: bool) -> Level:
    if on_hand == 0:
        return Level.BAD
    return Level.WARN if low else Level.OK


def letters(active: int, expired: int) -> Level:
    if active >= LETTERS_BAD:
        return Level.BAD
    return Level.WARN if active >= LETTERS_WARN or expired > 0 else Level.OK


def availability(share: float | None) -> Level:
    if share is None:
        return Level.NONE
    if share < AVAILABILITY_BAD:
        return Level.BAD
    return Level.WARN if share < AVAILABILITY_WARN else Level.OK


def freshness(last_activity: datetime | None, now: datetime) -> Level:
    if last_activity is None or now - last_activity >= SILENT_BAD:
        return Level.BAD
    return Level.WARN if now - last_activity >= SILENT_WARN else Level.OK


@dataclass(frozen=True, slots=True)
class Severity:
    levels: dict[str, Level]

    @property
    def score(self) -> int:
        return sum(WEIGHTS[column] * POINTS[level] for column, level in self.levels.items())

    @property
    def worst(self) -> Level:
        for level in (Level.BAD, Level.WARN, Level.OK):
            if level in self.levels.values():
                return level
        return Level.NONE
