"""Thresholds: what a form may send, the order regency > province > base, and the evaluator's
read of every regency's values in two statements (on both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event

from siaga_platform.alerts import thresholds
from siaga_platform.alerts.evaluate import limits_of
from siaga_platform.alerts.rules import LIMITS, Thresholds
from siaga_platform.errors import InvalidInput
from siaga_platform.rollup.rows import Regency
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.registry import repository as tenants
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def _regency(**settings: int) -> Regency:
    import uuid

    return Regency(uuid.uuid4(), "62.12", "Murung Raya", "62", date(2026, 12, 2), **settings)


def test_a_form_sends_whole_numbers_within_bounds_or_nothing() -> None:
    assert thresholds.parse({"backlog_count": "1.000", "silent_hours": " 48 "}) == {
        "backlog_count": 1000,  # as Indonesians write a thousand
        "silent_hours": 48,
    }
    assert thresholds.parse({"low_cover_days": ""}) == {"low_cover_days": None}
    assert thresholds.parse({"unknown": "5"}) == {}
    for name, text in (
        ("low_cover_days", "1.5"),
        ("low_cover_days", "-3"),
        ("low_cover_days", "²"),
        ("low_cover_days", "9" * 5000),
        ("set_down_minutes", "4"),
        ("remind_every_minutes", "14"),
        ("backlog_count", "1.000.001"),
    ):
        with pytest.raises(InvalidInput) as refused:
            thresholds.parse({name: text})
        assert refused.value.field == name
        assert thresholds.LABELS[name][0] in refused.value.message
    low, high = LIMITS["escalate_after_minutes"]
    assert thresholds.parse({"escalate_after_minutes": str(low)}) == {"escalate_after_minutes": low}
    assert thresholds.parse({"escalate_after_minutes": str(high)}) == {
        "escalate_after_minutes": high
    }


def test_the_regency_beats_the_province_which_beats_the_base() -> None:
    regency = _regency(low_stock_days=21, prr_alert_days=10)
    assert thresholds.compose(regency) == Thresholds(low_cover_days=21, backlog_oldest_days=10)
    composed = thresholds.compose(
        regency,
        {"low_cover_days": 7, "silent_hours": 12},
        {"silent_hours": 36, "backlog_count": 900},
    )
    assert composed.low_cover_days == 7  # the province's over the regency's own stock setting
    assert composed.silent_hours == 36 and composed.backlog_count == 900
    assert composed.backlog_oldest_days == 10 and composed.set_down_minutes == 60
    lines = {
        line.name: line
        for line in thresholds.lines(regency, {"low_cover_days": 7}, {"silent_hours": 36})
    }
    assert (lines["silent_hours"].value, lines["silent_hours"].source) == (36, "kabupaten")
    assert lines["silent_hours"].inherited == 24
    assert (lines["low_cover_days"].value, lines["low_cover_days"].source) == (7, "provinsi")
    assert lines["backlog_oldest_days"].source == "pengaturan"  # the regency's own 10
    assert lines["set_down_minutes"].source == "bawaan"


async def test_the_evaluator_reads_every_regency_in_two_statements(db: ScratchDatabase) -> None:
    await seed(db)
    async with unit_of_work(db.session_factory) as session:
        everyone = {t.code: t.id for t in await tenants.list_all(session)}
        await enter_scope(session, TenantScope.single(everyone["62.12"]))
        await thresholds.save_regency(
            session,
            tenant_id=everyone["62.12"],
            actor_subject="test",
            raw={"silent_hours": "48", "low_cover_days": "3"},
            now=NOW,
        )
        await enter_scope(session, TenantScope.read_only(set(everyone.values())))
        await thresholds.save_province(
            session,
            province_code="62",
            tenant_ids=list(everyone.values()),
            actor_subject="test",
            raw={"silent_hours": "12", "backlog_count": "100"},
            now=NOW,
        )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    async with db.session_factory() as session:
        regencies = await active_regencies(session, NOW)
        assert len(regencies) == 14
        await enter_scope(session, TenantScope.read_only({r.tenant_id for r in regencies}))
        await session.connection()  # the scope settings are written before counting
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            limits = await limits_of(session, regencies)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    mura, kapuas = limits[everyone["62.12"]], limits[everyone["62.03"]]
    assert (mura.silent_hours, mura.low_cover_days, mura.backlog_count) == (48, 3, 100)
    assert (kapuas.silent_hours, kapuas.low_cover_days, kapuas.backlog_count) == (12, 14, 100)
