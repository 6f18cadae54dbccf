"""Substitute letters: numbering (also under concurrency and across the year), who may get
one, renewal, revocation, conversion when the card is handed over, derived expiry, the
counts the province reads, and isolation."""

from __future__ import annotations

import asyncio
import calendar
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from siaga_platform.applications.statuses import Status
from siaga_platform.errors import Conflict, DomainError, InvalidInput
from siaga_platform.letters import figures, repository, service
from siaga_platform.letters.models import Letter, LetterReason, LetterState
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.letters import letter_policy, update_letter_settings
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import local_date
from tests.fixtures.applications import advance, move, operator, register
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.letters.helpers import CIPHER, REGIONS, issue, noon, recorded_applicants

TODAY = date(2026, 11, 20)


async def _letters(db: ScratchDatabase, who) -> list[Letter]:  # type: ignore[no-untyped-def]
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        return list((await session.scalars(select(Letter).order_by(Letter.sequence))).all())


async def test_numbers_follow_the_tenant_format_and_restart_each_year(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    ids = await recorded_applicants(db, who, 4)
    first = await issue(db, who, ids[0], today=date(2026, 12, 30))
    second = await issue(db, who, ids[1], today=date(2026, 12, 31))
    assert (first.number, second.number) == (
        "470/0001/DISDUKCAPIL/2026",
        "470/0002/DISDUKCAPIL/2026",
    )
    new_year = await issue(db, who, ids[2], today=date(2027, 1, 1))
    assert (new_year.sequence, new_year.number) == (1, "470/0001/DISDUKCAPIL/2027")
    assert new_year.valid_until == date(2027, 7, 1)  # six months, the tenant default

    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        await update_letter_settings(
            session,
            actor_subject="head",
            number_format="474.4/{nomor}/Dukcapil-MR/{tahun}",
            validity_months=3,
            signer_name="Drs. Markus Siang",
            signer_title="Kepala Dinas",
        )
    later = await issue(db, who, ids[3], today=date(2027, 1, 31))
    assert later.number == "474.4/0002/Dukcapil-MR/2027"
    assert later.valid_until == date(2027, 4, 30)  # 31 Jan + 3 months: the month's last day
    assert later.signer_name == "Drs. Markus Siang"


async def test_bad_settings_and_bad_input_are_refused_with_the_field(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    [application] = await recorded_applicants(db, who, 1)
    for bad in ("470/DISDUKCAPIL/{tahun}", "470/{nomor}/{nomor}/{tahun}", "{nomor}/{tahun}/{x}"):
        with pytest.raises(InvalidInput) as refused:
            async with unit_of_work(db.session_factory) as session:
                await enter_scope(session, TenantScope.single(who.tenant_id))
                await update_letter_settings(
                    session,
                    actor_subject="head",
                    number_format=bad,
                    validity_months=6,
                    signer_name="X",
                    signer_title="Kepala",
                )
        assert refused.value.field == "letter_number_format"
    with pytest.raises(InvalidInput) as no_note:
        await issue(db, who, application, today=TODAY, reason=LetterReason.OTHER)
    assert no_note.value.field == "note"
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        policy = letter_policy(await tenants.get_settings(session))
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        with pytest.raises(InvalidInput) as unsigned:
            await service.issue(
                session,
                who,
                CIPHER,
                REGIONS,
                application,
                reason=LetterReason.NO_BLANK_CARDS,
                note=None,
                policy=service.LetterPolicy(policy.number_format, 6, None, "Kepala"),
                today=TODAY,
                now=noon(TODAY),
            )
    assert unsigned.value.field == "signer_name"
    assert await _letters(db, who) == []


async def test_only_recorded_applicants_without_a_card_get_one_letter(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    not_recorded = await register(db, who, "6212015708950011", "Rina Lestari")
    with pytest.raises(Conflict, match="belum melakukan perekaman"):
        await issue(db, who, not_recorded.id, today=TODAY)
    printed = await advance(db, who, await register(db, who, "6212015708950012"), Status.PRINTED)
    with pytest.raises(Conflict, match="sudah dicetak"):
        await issue(db, who, printed.id, today=TODAY)
    recorded = await advance(db, who, await register(db, who, "6212015708950013"), Status.RECORDED)
    letter = await issue(db, who, recorded.id, today=TODAY)
    assert letter.status_code == "BC" and letter.state(TODAY) is LetterState.ACTIVE
    with pytest.raises(Conflict, match="sudah memiliki surat keterangan"):
        await issue(db, who, recorded.id, today=TODAY)
    # Expired but not revoked: the clerk is told to renew, not to issue a second letter.
    with pytest.raises(Conflict, match="Perpanjang"):
        await issue(db, who, recorded.id, today=letter.valid_until + timedelta(days=1))
    assert [x.sequence for x in await _letters(db, who)] == [1]  # refusals took no number


async def test_renewal_revocation_and_conversion_keep_history_and_counts(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    first, second = await recorded_applicants(db, who, 2)
    letter = await issue(db, who, first, today=TODAY)
    renew_day = letter.valid_until - timedelta(days=3)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        renewed = await service.renew(
            session,
            who,
            CIPHER,
            REGIONS,
            letter.id,
            expected_version=letter.version,
            policy=letter_policy(await tenants.get_settings(session)),
            today=renew_day,
            now=noon(renew_day),
        )
        assert renewed.valid_until == service.add_months(renew_day, 6)
        assert renewed.number == letter.number and renewed.content_hash != letter.content_hash
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        kinds = [(e.kind, e.valid_until) for e in await repository.history(session, letter.id)]
    assert kinds == [("issued", letter.valid_until), ("renewed", renewed.valid_until)]

    with pytest.raises(Conflict):  # a stale version (the page was open before the renewal)
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))
            await service.revoke(
                session,
                who,
                letter.id,
                expected_version=1,
                reason="salah",
                today=TODAY,
                now=noon(TODAY),
            )
    with pytest.raises(InvalidInput) as no_reason:
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))
            await service.revoke(
                session,
                who,
                letter.id,
                expected_version=2,
                reason="  ",
                today=TODAY,
                now=noon(TODAY),
            )
    assert no_reason.value.field == "reason"

    other = await issue(db, who, second, today=TODAY)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        before = await figures.for_tenant(session, who.tenant_id, renew_day)
    # Three days before the first letter's old expiry: both in force, the second expiring.
    assert (before.active, before.expiring, before.expired) == (2, 1, 0)
    # Handing the card over revokes the letter and counts a conversion.
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        from siaga_platform.applications import repository as applications

        application = await applications.get(session, second)
        assert application is not None
    version = application.version
    for step in (Status.PRINT_QUEUED, Status.PRINTED, Status.READY, Status.ISSUED):
        version = (await move(db, who, second, version, step)).version
    [_, converted] = await _letters(db, who)
    assert converted.id == other.id and converted.converted and converted.revoked_at is not None
    assert converted.state(TODAY) is LetterState.REVOKED
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        # The conversion is counted on the regency's own day, not the machine's (UTC) day.
        today_there = await local_date(session, who.tenant_id, datetime.now(UTC))
        now_figures = await figures.for_tenant(session, who.tenant_id, today_there)
    assert now_figures.converted_this_month == 1


async def test_cancelling_or_a_duplicate_revokes_the_letter(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    cancelled = await advance(db, who, await register(db, who, "6212015708950021"), Status.PRR)
    duplicate = await advance(db, who, await register(db, who, "6212015708950022"), Status.RECEIVED)
    first = await issue(db, who, cancelled.id, today=TODAY)
    second = await issue(db, who, duplicate.id, today=TODAY)
    await move(db, who, cancelled.id, cancelled.version, Status.CANCELLED, note="pindah")
    await move(db, who, duplicate.id, duplicate.version, Status.DUPLICATE)
    stored = {x.id: x for x in await _letters(db, who)}
    for letter, reason in ((first, "dibatalkan"), (second, "ganda")):
        ended = stored[letter.id]
        assert ended.revoked_at is not None and not ended.converted
        assert reason in (ended.revoked_reason or "")
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        today_there = await local_date(session, who.tenant_id, datetime.now(UTC))
        counted = await figures.for_tenant(session, who.tenant_id, today_there)
    assert counted.active == 0 and counted.converted_this_month == 0


async def test_a_hundred_concurrent_issues_number_exactly_one_to_a_hundred(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    ids = await recorded_applicants(db, who, 100)

    async def one(application_id):  # type: ignore[no-untyped-def]
        return await issue(db, who, application_id, today=TODAY)

    issued = await asyncio.gather(*(one(i) for i in ids))
    assert sorted(letter.sequence for letter in issued) == list(range(1, 101))
    stored = await _letters(db, who)
    assert [x.sequence for x in stored] == list(range(1, 101))
    assert len({x.number for x in stored}) == 100


async def test_a_failed_issue_gives_its_number_back(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    first, second = await recorded_applicants(db, who, 2)
    with pytest.raises(RuntimeError):
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))
            await service.issue(
                session,
                who,
                CIPHER,
                REGIONS,
                first,
                reason=LetterReason.PRINTER_DOWN,
                note=None,
                policy=letter_policy(await tenants.get_settings(session)),
                today=TODAY,
                now=noon(TODAY),
            )
            raise RuntimeError("the connection dropped before the commit")
    letter = await issue(db, who, second, today=TODAY)
    assert letter.sequence == 1


async def test_counts_agree_with_a_recount_after_random_events(db: ScratchDatabase) -> None:
    await seed(db)
    who = await operator(db)
    ids = await recorded_applicants(db, who, 12)
    rng = random.Random(7)  # noqa: S311 - a reproducible sequence of events
    day = TODAY - timedelta(days=200)
    for _ in range(40):
        day += timedelta(days=rng.randint(0, 9))
        letters = await _letters(db, who)
        held = {x.application_id for x in letters if x.revoked_at is None}
        action = rng.choice(["issue", "issue", "renew", "revoke"])
        try:
            async with unit_of_work(db.session_factory) as session:
                await enter_scope(session, TenantScope.single(who.tenant_id))
                policy = letter_policy(await tenants.get_settings(session))
                if action == "issue":
                    free = [i for i in ids if i not in held]
                    if free:
                        await service.issue(
                            session,
                            who,
                            CIPHER,
                            REGIONS,
                            rng.choice(free),
                            reason=LetterReason.NO_BLANK_CARDS,
                            note=None,
                            policy=policy,
                            today=day,
                            now=noon(day),
                        )
                else:
                    open_letters = [x for x in letters if x.revoked_at is None]
                    if open_letters:
                        target = rng.choice(open_letters)
                        if action == "renew":
                            await service.renew(
                                session,
                                who,
                                CIPHER,
                                REGIONS,
                                target.id,
                                expected_version=target.version,
                                policy=policy,
                                today=day,
                                now=noon(day),
                            )
                        else:
                            await service.revoke(
                                session,
                                who,
                                target.id,
                                expected_version=target.version,
                                reason="data salah",
                                today=day,
                                now=noon(day),
                            )
        except DomainError:
            pass  # e.g. a renewal that would not extend: refused, nothing written
    letters = await _letters(db, who)
    assert len(letters) > 5
    # Figures are asked for today, never before a letter's issue: probe from the last event on.
    for probe in (
        day,
        day + timedelta(days=20),
        day + timedelta(days=120),
        day + timedelta(days=400),
    ):
        async with db.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))
            counted = await figures.for_tenant(session, who.tenant_id, probe)
        states = Counter(x.state(probe) for x in letters)
        soon = sum(
            1
            for x in letters
            if x.revoked_at is None and probe <= x.valid_until < probe + timedelta(days=30)
        )
        assert counted.active == states[LetterState.ACTIVE]
        assert counted.expired == states[LetterState.EXPIRED]
        assert counted.expiring == soon
    month_issued = Counter(x.issued_on.replace(day=1) for x in letters)
    for month, expected in month_issued.items():
        last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        async with db.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))
            assert (
                await figures.for_tenant(session, who.tenant_id, last_day)
            ).issued_this_month == expected


async def test_another_tenant_sees_none_of_the_letters(db: ScratchDatabase) -> None:
    await seed(db)
    murung_raya = await operator(db, "62.12")
    palangka_raya = await operator(db, "62.71")
    [application] = await recorded_applicants(db, murung_raya, 1)
    letter = await issue(db, murung_raya, application, today=TODAY)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(palangka_raya.tenant_id))
        assert await repository.get(session, letter.id) is None
        assert await repository.by_token(session, letter.token) is None
        assert await service.verify(session, letter.token, today=TODAY) is None
        assert (await repository.register_page(session, today=TODAY))[1] == 0
    with pytest.raises(DomainError):  # Palangka Raya cannot revoke it either
        async with unit_of_work(db.session_factory) as session:
            await enter_scope(session, TenantScope.single(palangka_raya.tenant_id))
            await service.revoke(
                session,
                palangka_raya,
                letter.id,
                expected_version=1,
                reason="x",
                today=TODAY,
                now=noon(TODAY),
            )
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(murung_raya.tenant_id))
        found = await service.verify(session, letter.token, today=TODAY)
    assert found is not None and found.number == letter.number
    assert found.holder_masked == "S**i A****h N****1"  # "Siti Aminah Nomor1"
