"""The rule "turned away stops falling": for an election voting within the window, it fires
when residents would be turned away on voting day and the count has not fallen over the
look-back (read from the history the evaluation writes once a day per regency and election),
and not when it fell, nor without history, nor when nobody would be turned away."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from siaga_platform.alerts import repository
from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.alerts.models import Level, Rule
from siaga_platform.alerts.rules import (
    ELECTION_WINDOW_DAYS,
    TURNED_AWAY_LOOKBACK_DAYS,
    Extras,
    Thresholds,
    TurnedAway,
    evaluate_extras,
)
from siaga_platform.alerts.summaries import read
from siaga_platform.elections.models import Election, ElectionLevel, ElectionRegency, TurnedAwayDay
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from tests.elections.helpers import readiness
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.letters.helpers import recorded_applicants

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def _election(count: int, before: int | None) -> TurnedAway:
    return TurnedAway(
        election_id=str(uuid.uuid4()),
        election_name="Pilkada Kalimantan Tengah",
        voting_day=date(2027, 1, 20),
        days_left=49,
        count=count,
        before=before,
    )


def _fired(*elections: TurnedAway) -> list[str]:
    found = evaluate_extras(Extras(elections=elections), Thresholds(), NOW)
    return [f.subject_key for f in found if f.rule is Rule.TURNED_AWAY_NOT_FALLING]


def test_fires_when_the_count_stays_flat_or_grows_over_the_look_back() -> None:
    flat, grew = _election(120, 120), _election(130, 120)
    assert _fired(flat, grew) == [flat.election_id, grew.election_id]
    found = evaluate_extras(Extras(elections=(flat,)), Thresholds(), NOW)[0]
    assert found.level is Level.PERHATIKAN
    assert found.subject_label == flat.election_name
    key, values = read(found.summary) or ("", {})
    assert key == "turned_away_not_falling"
    assert values == {
        "count": 120,
        "days_left": 49,
        "days": TURNED_AWAY_LOOKBACK_DAYS,
        "before": 120,
    }


def test_quiet_when_it_fell_when_nobody_is_turned_away_or_without_history() -> None:
    assert _fired(_election(119, 120)) == []
    assert _fired(_election(0, 0)) == []
    assert _fired(_election(50, None)) == []


async def _turned_away_rows(db: ScratchDatabase, tenant_id: uuid.UUID) -> list[tuple[date, int]]:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        rows = await session.execute(
            select(TurnedAwayDay.day, TurnedAwayDay.turned_away).order_by(TurnedAwayDay.day)
        )
        return [(d, n) for d, n in rows]


async def _open_rules(db: ScratchDatabase, tenant_id: uuid.UUID) -> set[tuple[Rule, str]]:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        return {(Rule(a.rule), a.subject_key) for a in await repository.open_alerts(session)}


async def test_the_evaluation_records_one_row_a_day_and_fires_when_the_count_stays(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    tenant = who.tenant_id
    assert tenant is not None
    await recorded_applicants(db, who, 3)  # recorded, waiting to print, no letter
    # 05:00 UTC is midday in every Indonesian zone: the ticks below (up to 30 minutes apart)
    # stay on one local day whatever the hour the suite runs (at 16:40 UTC they crossed WIB
    # midnight and wrote a second day). A day further back keeps `later` in the past.
    past = (datetime.now(UTC) - timedelta(days=TURNED_AWAY_LOOKBACK_DAYS + 1)).date()
    start = datetime.combine(past, time(5, 0), UTC)
    async with db.session_factory() as session:
        regencies = await active_regencies(session, start)
    today = next(r.today for r in regencies if r.tenant_id == tenant)
    voting_day = today + timedelta(days=ELECTION_WINDOW_DAYS)
    async with unit_of_work(db.session_factory) as session:
        election = Election(
            name="Pilkada Uji",
            voting_day=voting_day,
            level=ElectionLevel.NATIONAL,
            province_code=None,
            created_by="test",
            created_at=start,
        )
        session.add(election)
        await session.flush()
        session.add(ElectionRegency(election_id=election.id, regency_id=tenant))
    figures = await readiness(db, voting_day, now=start)
    count = figures[who.tenant_code or ""].turned_away
    assert count >= 3
    # Days ago: the first evaluation of the day writes the count, later ticks change nothing.
    for minutes in (0, 1, 30):
        await evaluate_all(
            db.session_factory, active_regencies, now=start + timedelta(minutes=minutes)
        )
    assert await _turned_away_rows(db, tenant) == [(today, count)]
    assert (Rule.TURNED_AWAY_NOT_FALLING, str(election.id)) not in await _open_rules(db, tenant)
    # A look-back later the count has not fallen: the rule fires for the election.
    later = start + timedelta(days=TURNED_AWAY_LOOKBACK_DAYS)
    await evaluate_all(db.session_factory, active_regencies, now=later)
    await evaluate_all(db.session_factory, active_regencies, now=later + timedelta(minutes=5))
    rows = await _turned_away_rows(db, tenant)
    assert [n for _d, n in rows] == [count, count]
    assert rows[1][0] == today + timedelta(days=TURNED_AWAY_LOOKBACK_DAYS)
    assert (Rule.TURNED_AWAY_NOT_FALLING, str(election.id)) in await _open_rules(db, tenant)
    # Had the count been higher a look-back ago (it fell), the alert resolves.
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        first = await session.get(TurnedAwayDay, (tenant, election.id, today))
        assert first is not None
        first.turned_away = count + 1
    await evaluate_all(db.session_factory, active_regencies, now=later + timedelta(minutes=10))
    assert (Rule.TURNED_AWAY_NOT_FALLING, str(election.id)) not in await _open_rules(db, tenant)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        total = await session.scalar(select(func.count()).select_from(TurnedAwayDay))
    assert total == 2
