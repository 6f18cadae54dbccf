"""The built-in rules: what fires for a regency, read from its province-page row (the maintained
summaries of every domain), never from raw tables.

Each rule has a level and a threshold that the head of office (regency) or the province
supervisor (province-wide default) may change; ``Thresholds`` holds the values in force.
A ``Finding`` is one condition that holds now; the service turns findings into alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta

from siaga_platform.alerts.models import Level, Rule
from siaga_platform.alerts.summaries import sentence
from siaga_platform.rollup.rows import RegencyRow


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every changeable figure of the rules (the defaults are the built-in values)."""

    set_down_minutes: int = 60
    device_down_minutes: int = 30
    centre_request_days: int = 14
    low_cover_days: int = 14
    backlog_oldest_days: int = 14
    backlog_count: int = 500
    letters_expiring: int = 50
    silent_hours: int = 24
    #: Unacknowledged alerts climb: to the province after this, to the platform after as much again.
    #: A hardware incident the province has not acknowledged after this goes to the province.
    incident_ack_hours: int = 4
    escalate_after_minutes: int = 60
    remind_every_minutes: int = 240

    def with_overrides(self, overrides: dict[str, int]) -> Thresholds:
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in overrides.items() if k in known and v > 0})


#: The letters rule looks this far ahead: time to renew them before they lapse.
LETTERS_WINDOW_DAYS = 14
#: The rule "turned away stops falling" watches elections voting within this many days of the
#: regency's own day, and fires when the count of residents who would be turned away is above
#: zero and no lower than it was this many days before (by the history written each day).
ELECTION_WINDOW_DAYS = 60
TURNED_AWAY_LOOKBACK_DAYS = 7

LIMITS: dict[str, tuple[int, int]] = {
    # name: (smallest, largest) a person may set
    "set_down_minutes": (5, 7 * 24 * 60),
    "device_down_minutes": (5, 7 * 24 * 60),
    "centre_request_days": (1, 365),
    "low_cover_days": (1, 365),
    "backlog_oldest_days": (1, 365),
    "backlog_count": (1, 1_000_000),
    "letters_expiring": (1, 1_000_000),
    "silent_hours": (1, 24 * 14),
    "incident_ack_hours": (1, 14 * 24),
    "escalate_after_minutes": (5, 7 * 24 * 60),
    "remind_every_minutes": (15, 7 * 24 * 60),
}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    level: Level
    summary: str
    subject_key: str = ""
    subject_label: str = ""
    #: Opened already silenced until then (planned maintenance of the subject), with why.
    silence_until: datetime | None = None
    silence_reason: str = ""
    #: Who is told first: 0 the regency's staff; 1 the province (its own inaction is the alert).
    first_step: int = 0

    @property
    def key(self) -> tuple[Rule, str]:
        return self.rule, self.subject_key


def evaluate(row: RegencyRow, limits: Thresholds, now: datetime) -> list[Finding]:
    """The findings of one regency now (empty: all clear)."""
    found: list[Finding] = []
    recording = row.recording
    # Times stay out of the sentences: pages and messages show them in the regency's own zone.
    if recording.total_sets and recording.working_sets == 0:
        found.append(
            Finding(
                Rule.RECORDING_STOPPED,
                Level.GAWAT,
                sentence("recording_stopped", total=recording.total_sets),
            )
        )
    elif recording.working_sets < recording.total_sets and _down_long_enough(
        # Sets go down through incidents (planned maintenance opens none, so it mutes this).
        recording.oldest_incident_opened_at,
        now,
        limits.set_down_minutes,
    ):
        found.append(
            Finding(
                Rule.RECORDING_SET_DOWN,
                Level.PERHATIKAN,
                sentence(
                    "set_down",
                    down=recording.total_sets - recording.working_sets,
                    total=recording.total_sets,
                    minutes=limits.set_down_minutes,
                ),
            )
        )
    stock = row.stock
    if stock.on_hand <= 0:
        found.append(Finding(Rule.CARDS_OUT, Level.GAWAT, sentence("cards_out")))
    elif stock.days_of_cover is not None and stock.days_of_cover < limits.low_cover_days:
        if stock.owed_beyond_stock:
            # The cards are already spoken for by the records waiting to print.
            told = sentence(
                "low_cover_owed",
                on_hand=stock.on_hand,
                owed=stock.owed_beyond_stock,
                waiting=stock.waiting_print,
            )
        else:
            told = sentence(
                "low_cover",
                on_hand=stock.on_hand,
                days=stock.days_of_cover,
                limit=limits.low_cover_days,
            )
        found.append(Finding(Rule.LOW_COVER, Level.PERHATIKAN, told))
    waiting = row.applications.backlog.get("waiting_print", 0)
    oldest = row.applications.oldest_waiting_days(now)
    if oldest is not None and oldest > limits.backlog_oldest_days:
        found.append(
            Finding(
                Rule.BACKLOG_OLDEST,
                Level.PERHATIKAN,
                sentence("backlog_oldest", days=oldest, limit=limits.backlog_oldest_days),
            )
        )
    if waiting > limits.backlog_count:
        found.append(
            Finding(
                Rule.BACKLOG_COUNT,
                Level.PERHATIKAN,
                sentence("backlog_count", waiting=waiting, limit=limits.backlog_count),
            )
        )
    if row.last_activity is None or now - row.last_activity > timedelta(hours=limits.silent_hours):
        found.append(
            Finding(
                Rule.REGENCY_SILENT,
                Level.PERHATIKAN,
                sentence("silent_never")
                if row.last_activity is None
                else sentence("silent_hours", hours=limits.silent_hours),
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class SiteDown:
    site_id: str
    site_name: str
    devices: int
    since: datetime | None
    #: Every down device of the site is in planned maintenance until then (None: not so).
    maintenance_until: datetime | None = None
    maintenance_reason: str = ""


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """A hardware incident still open that no province supervisor has acknowledged."""

    incident_id: str
    title: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class TurnedAway:
    """An upcoming election of the regency: who would be turned away on voting day by today's
    records, and as many ``TURNED_AWAY_LOOKBACK_DAYS`` days before (None: no history then)."""

    election_id: str
    election_name: str
    voting_day: date
    days_left: int
    count: int
    before: int | None


@dataclass(frozen=True, slots=True)
class Extras:
    """What the province-page row does not carry: devices down per site, the ribbon balance,
    the oldest request waiting on the centre (each read in one statement for all regencies)."""

    sites_down: tuple[SiteDown, ...] = ()
    ribbon_on_hand: int | None = None  # None: the regency keeps no ribbon ledger yet
    oldest_pending_request: datetime | None = None
    #: Letters in force whose last valid day falls within the next ``LETTERS_WINDOW_DAYS``.
    letters_expiring: int = 0
    unacknowledged_incidents: tuple[OpenIncident, ...] = ()
    #: Elections voting within ``ELECTION_WINDOW_DAYS``.
    elections: tuple[TurnedAway, ...] = ()


def turned_away_stalled(election: TurnedAway) -> bool:
    """Residents would be turned away and the count has not fallen over the look-back."""
    return election.count > 0 and election.before is not None and election.count >= election.before


def evaluate_extras(extras: Extras, limits: Thresholds, now: datetime) -> list[Finding]:
    found: list[Finding] = []
    for site in extras.sites_down:  # one alert per site, not one per device
        if _down_long_enough(site.since, now, limits.device_down_minutes):
            found.append(
                Finding(
                    Rule.DEVICES_SILENT,
                    Level.PERHATIKAN,
                    sentence(
                        "devices_silent",
                        devices=site.devices,
                        site=site.site_name,
                        minutes=limits.device_down_minutes,
                    ),
                    subject_key=site.site_id,
                    subject_label=site.site_name,
                    silence_until=site.maintenance_until,
                    silence_reason=f"Perawatan terencana: {site.maintenance_reason}",
                )
            )
    for incident in extras.unacknowledged_incidents:
        if now - incident.opened_at >= timedelta(hours=limits.incident_ack_hours):
            found.append(
                Finding(
                    Rule.INCIDENT_UNACKNOWLEDGED,
                    Level.PERHATIKAN,
                    sentence("incident_unacknowledged", hours=limits.incident_ack_hours),
                    subject_key=incident.incident_id,
                    subject_label=incident.title[:160],
                    first_step=1,
                )
            )
    if extras.ribbon_on_hand is not None and extras.ribbon_on_hand <= 0:
        found.append(Finding(Rule.RIBBON_OUT, Level.GAWAT, sentence("ribbon_out")))
    if extras.letters_expiring > limits.letters_expiring:
        found.append(
            Finding(
                Rule.LETTERS_EXPIRING,
                Level.PERHATIKAN,
                sentence(
                    "letters_expiring",
                    count=extras.letters_expiring,
                    days=LETTERS_WINDOW_DAYS,
                    limit=limits.letters_expiring,
                ),
            )
        )
    for election in extras.elections:  # one alert per election
        if turned_away_stalled(election):
            found.append(
                Finding(
                    Rule.TURNED_AWAY_NOT_FALLING,
                    Level.PERHATIKAN,
                    sentence(
                        "turned_away_not_falling",
                        count=election.count,
                        days_left=election.days_left,
                        before=election.before or 0,
                        days=TURNED_AWAY_LOOKBACK_DAYS,
                    ),
                    subject_key=election.election_id,
                    subject_label=election.election_name[:160],
                )
            )
    pending = extras.oldest_pending_request
    if pending is not None and now - pending > timedelta(days=limits.centre_request_days):
        found.append(
            Finding(
                Rule.CENTRE_REQUEST_PENDING,
                Level.PERHATIKAN,
                sentence(
                    "centre_request", days=(now - pending).days, limit=limits.centre_request_days
                ),
            )
        )
    return found


def _down_long_enough(since: datetime | None, now: datetime, minutes: int) -> bool:
    return since is not None and now - since >= timedelta(minutes=minutes)
