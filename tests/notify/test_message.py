"""The notice, the wall against personal data, the local time and the backoff."""

# ruff: noqa: S311 - seeded generators for the jitter, not secrets

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from siaga_platform.notify.failures import (
    DeliveryFailed,
    PersonalDataInMessage,
    backoff_seconds,
    parse_retry_after,
    retry_delay,
)
from siaga_platform.notify.local_time import ZONE_OFFSET_HOURS, format_local_time
from siaga_platform.notify.message import assert_no_personal_data
from tests.notify.factories import a_notice


def test_the_composed_notice_says_the_same_in_text_and_html() -> None:
    notice = a_notice(lines=["Catatan: <script>alert(1)</script> & lain-lain"])
    assert notice.text.startswith("[PERHATIKAN] Blanko KTP-el hampir habis — Kota Makassar\n")
    assert "Waktu: 2 Des 2026 13.05 WITA" in notice.text
    assert "Buka: https://siaga.example.go.id/wilayah/73.71/stok" in notice.text
    assert "Sisa blanko: 40" in notice.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; lain-lain" in notice.html
    assert "<script>" not in notice.html
    assert '<html lang="id">' in notice.html
    assert "Waktu: 2 Des 2026 13.05 WITA" in notice.html


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("WIB", "2 Des 2026 12.05 WIB"),
        ("WITA", "2 Des 2026 13.05 WITA"),
        ("WIT", "2 Des 2026 14.05 WIT"),
    ],
)
def test_local_time_in_each_zone(zone: str, expected: str) -> None:
    assert format_local_time(datetime(2026, 12, 2, 5, 5, tzinfo=UTC), zone) == expected


def test_local_time_crosses_midnight_and_reads_naive_as_utc() -> None:
    assert format_local_time(datetime(2026, 5, 31, 20, 30), "WIT") == "1 Jun 2026 05.30 WIT"


def test_the_zone_offsets_are_the_regions_packages() -> None:
    from siaga_tenants.regions.codes import UTC_OFFSET_HOURS

    assert {zone.value: hours for zone, hours in UTC_OFFSET_HOURS.items()} == ZONE_OFFSET_HOURS


def test_an_unknown_zone_or_a_bad_key_is_refused_when_the_notice_is_built() -> None:
    with pytest.raises(ValueError, match="WIB, WITA or WIT"):
        a_notice(zone="UTC")
    for key in ["", "a b", "a::b", "a:", "<x>", "a@b", "x" * 201]:
        with pytest.raises(ValueError, match="idempotency_key"):
            a_notice(idempotency_key=key)
    with pytest.raises(ValueError):
        a_notice(level="darurat")
    for event in ["", "Alert", "alert\r\nX-Evil: 1", "alert..opened"]:
        with pytest.raises(ValueError, match="event"):
            a_notice(event=event)
    assert a_notice(event="alert.opened").event == "alert.opened"


@pytest.mark.parametrize(
    "nik",
    [
        "3201123456780001",
        "3201 1234 5678 0001",
        "3201.1234.5678.0001",
        "3201-1234-5678-0001",
        "NIK:32011234567800019",
    ],
)
@pytest.mark.parametrize("where", ["subject", "text", "html", "fact", "fact_label"])
def test_a_nik_anywhere_is_refused(nik: str, where: str) -> None:
    base = a_notice()
    facts = dict(base.facts)
    if where == "fact":
        notice = replace(base, facts={**facts, "Pemohon": nik})
    elif where == "fact_label":
        notice = replace(base, facts={**facts, nik: "menunggu"})
    else:
        changes: dict[str, Any] = {where: f"{getattr(base, where)} {nik}"}
        notice = replace(base, **changes)
    with pytest.raises(PersonalDataInMessage) as caught:
        assert_no_personal_data(notice)
    assert not caught.value.retryable
    assert "16 angka" in caught.value.reason
    assert nik not in caught.value.reason


def test_a_nik_split_by_markup_is_still_found() -> None:
    notice = a_notice()
    html = notice.html.replace("</body>", "<p>3201<b>1234</b>5678<i>0001</i></p></body>")
    with pytest.raises(PersonalDataInMessage):
        assert_no_personal_data(replace(notice, html=html))


def test_a_nik_in_the_link_is_refused_but_ids_are_not() -> None:
    notice = a_notice(
        link="https://siaga.example.go.id/alerts/12345678-1234-1234-1234-123456789012"
    )
    assert_no_personal_data(notice)
    with pytest.raises(PersonalDataInMessage):
        assert_no_personal_data(a_notice(link="https://siaga.example.go.id/?nik=3201123456780001"))


def test_shorter_numbers_pass() -> None:
    assert_no_personal_data(
        a_notice(lines=["Stok 1.250 lembar, telepon 0812-3456-7890, kode 62.03.01.2001"])
    )


def test_backoff_has_full_jitter_within_its_doubling_ceiling() -> None:
    rng = random.Random(14)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600)]:
        waits = [backoff_seconds(attempt, rng=rng) for _ in range(400)]
        assert all(0 <= wait <= ceiling for wait in waits)
        # Full jitter: spread over the whole range, not bunched at the ceiling.
        assert min(waits) < ceiling * 0.1 and max(waits) > ceiling * 0.9
    assert max(backoff_seconds(3, base=1, cap=2, rng=rng) for _ in range(100)) <= 2
    with pytest.raises(ValueError):
        backoff_seconds(0, rng=rng)


def test_two_workers_failing_together_do_not_come_back_together() -> None:
    first = backoff_seconds(4, rng=random.Random(1))
    second = backoff_seconds(4, rng=random.Random(2))
    assert abs(first - second) > 1


def test_retry_delay_honours_the_servers_delay() -> None:
    rng = random.Random(3)
    failure = DeliveryFailed("429", retryable=True, retry_after=900)
    assert all(retry_delay(failure, 1, rng=rng) >= 900 for _ in range(50))
    plain = DeliveryFailed("500", retryable=True)
    assert all(retry_delay(plain, 1, rng=rng) <= 30 for _ in range(50))


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 02 Dec 2026 06:01:30 GMT", now=now) == 90
    assert parse_retry_after("Wed, 02 Dec 2026 05:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("99999999") == 6 * 3600


def test_a_nik_in_a_url_inside_the_text_is_refused() -> None:
    notice = a_notice(lines=["Lihat https://siaga.example.go.id/cari?nik=3201123456780001"])
    with pytest.raises(PersonalDataInMessage):
        assert_no_personal_data(notice)
