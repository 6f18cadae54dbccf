"""A regency's letters to renew before voting day: its own staff only, holders masked, every
reading audited; the bulk renewal is an ordinary renewal of each letter (its own history), and
the readiness follows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import select

from siaga_platform.audit.models import AuditEvent
from siaga_platform.auth.principal import Role
from siaga_platform.letters.models import Letter, LetterEvent
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_tenants.demo.elections import DAYS_AHEAD
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.registry import repository as tenants
from tests.elections.helpers import readiness
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
OTHER_OPERATOR = demo_subject(Role.OPERATOR, "62.03")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
NIK_16 = re.compile(r"\b\d{16}\b")


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed_whole_demo(db)
    async with client_for(build_app(db)) as client:
        yield client


async def _audit(db: ScratchDatabase, action: str) -> list[AuditEvent]:
    async with db.session_factory() as session:
        mura = await tenants.get_by_code(session, "62.12")
        assert mura is not None
        await enter_scope(session, TenantScope.single(mura.id))
        return list(
            (await session.scalars(select(AuditEvent).where(AuditEvent.action == action))).all()
        )


async def test_staff_see_masked_letters_to_renew_and_renew_them_all(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    voting_day = date.today() + timedelta(days=DAYS_AHEAD)
    before = (await readiness(db, voting_day))["62.12"]
    assert before.to_renew > 0

    await sign_in(client, SUPERVISOR)
    assert (await client.get("/wilayah/62.12/pemilu")).status_code == 403
    await sign_in(client, OTHER_OPERATOR)
    assert (await client.get("/wilayah/62.12/pemilu")).status_code == 404

    await sign_in(client, OPERATOR)
    home = await client.get("/wilayah/62.12")
    assert 'href="/wilayah/62.12/pemilu"' in home.text
    listing = await client.get("/wilayah/62.12/pemilu")
    link = re.search(r'href="(/wilayah/62\.12/pemilu/[0-9a-f-]{36})"', listing.text)
    assert link
    page = await client.get(link.group(1))
    assert page.status_code == 200
    numbers = re.findall(r'href="/wilayah/62\.12/suket/[0-9a-f-]{36}">([^<]+)</a>', page.text)
    assert len(numbers) == before.to_renew
    assert NIK_16.search(page.text) is None  # NIKs masked
    assert "6212********" in page.text
    viewed = await _audit(db, "election.letters_to_renew_viewed")
    assert [(e.actor_subject, e.details["letters"]) for e in viewed] == [
        (OPERATOR, before.to_renew)
    ]  # the other regency's reading is in its own trail
    # Another regency's operator, on the same election, sees only its own letters.
    await sign_in(client, OTHER_OPERATOR)
    own = await client.get(link.group(1).replace("62.12", "62.03"))
    assert own.status_code == 200
    assert "/wilayah/62.12/" not in own.text

    await sign_in(client, OPERATOR)
    token = csrf_from((await client.get(link.group(1))).text)
    renewed = await client.post(f"{link.group(1)}/perpanjang", data={"csrf_token": token})
    assert renewed.status_code == 303
    after = (await readiness(db, voting_day))["62.12"]
    assert after.to_renew == 0
    assert after.turned_away == before.turned_away - before.to_renew
    again = await client.get(link.group(1))
    assert re.findall(r'href="/wilayah/62\.12/suket/[0-9a-f-]{36}">', again.text) == []
    # Each one an ordinary renewal: the number kept, a "renewed" event in its own history.
    async with db.session_factory() as session:
        mura = await tenants.get_by_code(session, "62.12")
        assert mura is not None
        await enter_scope(session, TenantScope.single(mura.id))
        letters = (await session.scalars(select(Letter).where(Letter.number.in_(numbers)))).all()
        events = (
            await session.scalars(
                select(LetterEvent).where(
                    LetterEvent.kind == "renewed",
                    LetterEvent.letter_id.in_([letter.id for letter in letters]),
                )
            )
        ).all()
    assert len(letters) == len(numbers)
    assert all(letter.valid_until >= voting_day for letter in letters)
    assert {e.letter_id for e in events} == {letter.id for letter in letters}
    assert all(e.actor_subject == OPERATOR for e in events)
    bulk = await _audit(db, "election.letters_renewed")
    assert [e.details for e in bulk] == [{"renewed": len(numbers), "refused": 0}]
