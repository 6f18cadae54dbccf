"""The demo letters: Murung Raya holds 2,299 letters in force (no blank cards), a few expiring
within the month; other regencies a handful; the maintained counts agree with a recount."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from siaga_platform.letters import figures
from siaga_platform.letters.models import Letter, LetterState
from siaga_platform.tenancy.scope import TenantScope, acting_for
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.applications import seed_demo_applications
from siaga_tenants.demo.letters import seed_demo_letters
from siaga_tenants.registry import repository as tenants
from tests.fixtures.applications import CIPHER
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed


async def test_demo_letters_tell_the_murung_raya_story(db: ScratchDatabase) -> None:
    await seed(db)
    today = date.today()
    async with unit_of_work(db.session_factory) as session:
        await seed_demo_applications(session, CIPHER, today=today)
    async with unit_of_work(db.session_factory) as session:
        added = await seed_demo_letters(session, CIPHER, today=today)
    async with unit_of_work(db.session_factory) as session:
        again = await seed_demo_letters(session, CIPHER, today=today)
    assert sum(again.values()) == 0  # idempotent
    assert added["62.12"] == 2_299
    assert all(count < 20 for code, count in added.items() if code != "62.12")
    async with db.session_factory() as session:
        by_code = {t.code: t for t in await tenants.list_in_province(session, "62")}
        ids = frozenset(t.id for t in by_code.values())
        async with acting_for(session, TenantScope.read_only(ids)):
            counted = await figures.per_tenant(session, today)
            letters = list((await session.scalars(select(Letter))).all())
    mura = counted[by_code["62.12"].id]
    assert mura.active == 2_299 and 0 < mura.expiring <= 20
    mura_letters = [x for x in letters if x.tenant_id == by_code["62.12"].id]
    assert {x.reason for x in mura_letters} == {"no_blank_cards"}
    assert sorted(x.sequence for x in mura_letters if x.year == today.year) == list(
        range(1, 1 + sum(1 for x in mura_letters if x.year == today.year))
    )
    for tenant_id, shown in counted.items():
        mine = [x for x in letters if x.tenant_id == tenant_id]
        states = Counter(x.state(today) for x in mine)
        assert shown.active == states[LetterState.ACTIVE]
        assert shown.expiring == sum(
            1 for x in mine if today <= x.valid_until < today + timedelta(days=30)
        )
