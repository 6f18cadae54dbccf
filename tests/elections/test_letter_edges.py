"""The rule for a letter on voting day V: it covers its holder when not revoked and its last
valid day is V or later. Day before: turned away and to renew; day of and day after: covered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from siaga_platform.applications.statuses import Status
from siaga_platform.elections.service import in_force_on
from tests.elections.helpers import readiness
from tests.fixtures.applications import operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.letters.helpers import issue, recorded_applicants


def test_the_rule_itself() -> None:
    day = datetime(2027, 2, 14, tzinfo=UTC).date()
    assert not in_force_on(day - timedelta(days=1), False, day)
    assert in_force_on(day, False, day)
    assert in_force_on(day + timedelta(days=1), False, day)
    assert not in_force_on(day + timedelta(days=1), True, day)


async def test_last_valid_day_before_on_and_after_voting_day(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db, "62.12")
    ids = await recorded_applicants(db, who, 3, first_serial=901, status=Status.PRR)
    before = await readiness(db, datetime.now(UTC).date() + timedelta(days=30))
    today = before["62.12"].regency.today
    letter = await issue(db, who, ids[0], today=today)
    last = letter.valid_until
    # Three applicants recorded, one with a letter whose last valid day is ``last``.
    day_after_last = await readiness(db, last + timedelta(days=1))  # voting the day after
    on_last = await readiness(db, last)  # voting on the last valid day
    day_before_last = await readiness(db, last - timedelta(days=1))  # voting the day before

    assert day_after_last["62.12"].recorded == 3
    # Last valid day the day before voting: not covered, and a letter to renew.
    assert day_after_last["62.12"].turned_away == 3
    assert day_after_last["62.12"].to_renew == 1
    assert day_after_last["62.12"].first_lapse == last
    # Last valid day on voting day, or after it: covered, nothing to renew.
    for covered in (on_last, day_before_last):
        assert covered["62.12"].turned_away == 2
        assert covered["62.12"].to_renew == 0
        assert covered["62.12"].first_lapse is None
    # Another regency is untouched.
    assert day_after_last["62.03"].recorded == 0
    assert day_after_last["62.03"].turned_away == 0
