"""The built-in rules read a regency's province-page row: each fires on its condition, at its
level, with the figures in its sentence and no personal data; a healthy regency raises none."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from siaga_platform.alerts.models import Level, Rule
from siaga_platform.alerts.rules import Extras, SiteDown, Thresholds, evaluate, evaluate_extras
from siaga_platform.letters.figures import LetterFigures
from siaga_platform.rollup.rows import Applications, Recording, Regency, RegencyRow
from siaga_platform.rollup.severity import Severity
from siaga_platform.stock.figures import StockFigures

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
HEALTHY = RegencyRow(
    regency=Regency(uuid.uuid4(), "62.12", "Kabupaten Murung Raya", "62", date(2026, 12, 2)),
    recording=Recording(working_sets=2, total_sets=2),
    applications=Applications(backlog={"waiting_print": 40}, oldest_waiting_print=NOW),
    stock=StockFigures(
        on_hand=900,
        out_since=None,
        average_daily_consumption=20.0,
        days_of_cover=45.0,
        projected_stock_out=None,
        stock_out_days=0,
        spoilage_rate=None,
        low=False,
    ),
    letters=LetterFigures(active=30, expiring=3),
    last_activity=NOW - timedelta(minutes=5),
    severity=Severity({}),
)
LIMITS = Thresholds()


def _rules(row: RegencyRow, now: datetime = NOW) -> dict[Rule, Level]:
    return {f.rule: f.level for f in evaluate(row, LIMITS, now)}


def test_a_healthy_regency_raises_nothing() -> None:
    assert evaluate(HEALTHY, LIMITS, NOW) == []


def test_recording_stopped_is_gawat_at_once_and_one_set_down_waits_an_hour() -> None:
    stopped = replace(
        HEALTHY,
        recording=Recording(working_sets=0, total_sets=2, stopped_since=NOW - timedelta(minutes=4)),
    )
    assert _rules(stopped) == {Rule.RECORDING_STOPPED: Level.GAWAT}
    [finding] = evaluate(stopped, LIMITS, NOW)
    assert "0 dari 2 set" in finding.summary
    half = Recording(
        working_sets=1, total_sets=2, oldest_incident_opened_at=NOW - timedelta(minutes=59)
    )
    assert _rules(replace(HEALTHY, recording=half)) == {}
    later = NOW + timedelta(minutes=1)
    assert _rules(replace(HEALTHY, recording=half), later) == {
        Rule.RECORDING_SET_DOWN: Level.PERHATIKAN
    }


def test_stock_rules_cards_out_and_low_cover() -> None:
    out = replace(HEALTHY, stock=replace(HEALTHY.stock, on_hand=0, days_of_cover=0.0))
    assert _rules(out) == {Rule.CARDS_OUT: Level.GAWAT}
    low = replace(HEALTHY, stock=replace(HEALTHY.stock, on_hand=100, days_of_cover=5.0))
    assert _rules(low) == {Rule.LOW_COVER: Level.PERHATIKAN}
    stricter = Thresholds(low_cover_days=3)
    assert evaluate(low, stricter, NOW) == []
    # 699 cards against 2,373 waiting to print: not "enough for 0 days" but what is missing.
    owed = replace(
        HEALTHY,
        stock=replace(HEALTHY.stock, on_hand=699, days_of_cover=0.0, waiting_print=2373),
    )
    [finding] = evaluate(owed, LIMITS, NOW)
    assert finding.rule is Rule.LOW_COVER
    assert "kurang 1.674 lembar untuk 2.373 permohonan yang menunggu cetak" in finding.summary


def test_backlog_letters_and_silence() -> None:
    waiting = replace(
        HEALTHY,
        applications=Applications(
            backlog={"waiting_print": 2_373}, oldest_waiting_print=NOW - timedelta(days=69)
        ),
    )
    assert _rules(waiting) == {
        Rule.BACKLOG_OLDEST: Level.PERHATIKAN,
        Rule.BACKLOG_COUNT: Level.PERHATIKAN,
    }
    summaries = " ".join(f.summary for f in evaluate(waiting, LIMITS, NOW))
    assert "2.373 permohonan" in summaries and "69 hari" in summaries
    # The row's 30-day figure is the province page's; the rule counts 14 days (extras).
    expiring = replace(HEALTHY, letters=LetterFigures(active=900, expiring=51))
    assert _rules(expiring) == {}
    assert [f.rule for f in evaluate_extras(Extras(letters_expiring=51), LIMITS, NOW)] == [
        Rule.LETTERS_EXPIRING
    ]
    assert evaluate_extras(Extras(letters_expiring=50), LIMITS, NOW) == []
    quiet = replace(HEALTHY, last_activity=NOW - timedelta(hours=25))
    assert _rules(quiet) == {Rule.REGENCY_SILENT: Level.PERHATIKAN}
    never = replace(HEALTHY, last_activity=None)
    assert _rules(never) == {Rule.REGENCY_SILENT: Level.PERHATIKAN}


def test_overrides_keep_to_known_positive_thresholds() -> None:
    changed = LIMITS.with_overrides({"backlog_count": 10, "unknown": 3, "silent_hours": 0})
    assert changed.backlog_count == 10 and changed.silent_hours == LIMITS.silent_hours


def test_no_summary_carries_a_nik() -> None:
    worst = replace(
        HEALTHY,
        recording=Recording(working_sets=0, total_sets=2, stopped_since=NOW),
        stock=replace(HEALTHY.stock, on_hand=0),
        applications=Applications(
            backlog={"waiting_print": 9_999_999}, oldest_waiting_print=NOW - timedelta(days=999)
        ),
        letters=LetterFigures(expiring=9_999_999),
        last_activity=None,
    )
    findings = evaluate(worst, LIMITS, NOW)
    assert len(findings) == 5
    assert not any(re.search(r"\d{16}", f.summary) for f in findings)


def test_devices_down_per_site_ribbon_out_and_a_request_waiting_on_the_centre() -> None:
    site = SiteDown("s1", "Kec. Murung", devices=3, since=NOW - timedelta(minutes=31))
    fresh = SiteDown("s2", "Kantor", devices=1, since=NOW - timedelta(minutes=5))
    extras = Extras(
        sites_down=(site, fresh),
        ribbon_on_hand=0,
        oldest_pending_request=NOW - timedelta(days=15),
    )
    found = evaluate_extras(extras, LIMITS, NOW)
    by_rule = {(f.rule, f.subject_key): f for f in found}
    assert set(by_rule) == {
        (Rule.DEVICES_SILENT, "s1"),  # one alert for the site's three devices; s2 not yet
        (Rule.RIBBON_OUT, ""),
        (Rule.CENTRE_REQUEST_PENDING, ""),
    }
    assert "3 perangkat di Kec. Murung" in by_rule[(Rule.DEVICES_SILENT, "s1")].summary
    assert by_rule[(Rule.RIBBON_OUT, "")].level == Level.GAWAT
    assert evaluate_extras(Extras(ribbon_on_hand=None), LIMITS, NOW) == []  # no ribbon ledger
    quiet = Extras(oldest_pending_request=NOW - timedelta(days=14))
    assert evaluate_extras(quiet, LIMITS, NOW) == []
