"""Who is told, on both databases: the regency's staff first, the province's supervisors after
the first escalation, the platform's admins after the second, everyone told when it clears;
nobody of another regency or province; a rerun of a tick adds nothing."""

from __future__ import annotations

from datetime import timedelta

from siaga_platform.delivery import service
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from tests.delivery.helpers import (
    ADMIN,
    HEAD,
    OPERATOR,
    STOPPED,
    SUPERVISOR,
    T0,
    deliveries_of,
    fan_out,
    inbox_of,
    people,
    reconcile,
    tick,
)
from tests.fixtures.applications import CIPHER
from tests.fixtures.databases import ScratchDatabase


async def test_each_step_tells_exactly_the_right_people(db: ScratchDatabase) -> None:
    tenant = await people(db)
    await tick(db, tenant, [STOPPED], T0)
    assert sorted(await inbox_of(db, tenant)) == sorted(
        [(OPERATOR, "opened", 0), (HEAD, "opened", 0)]
    )
    await tick(db, tenant, [STOPPED], T0 + timedelta(minutes=60))
    step_1 = [r for r in await inbox_of(db, tenant) if r[1] == "escalated"]
    assert sorted(step_1) == sorted(
        [(OPERATOR, "escalated", 1), (HEAD, "escalated", 1), (SUPERVISOR, "escalated", 1)]
    )
    await tick(db, tenant, [STOPPED], T0 + timedelta(minutes=120))
    step_2 = {r[0] for r in await inbox_of(db, tenant) if r[1:] == ("escalated", 2)}
    assert step_2 == {OPERATOR, HEAD, SUPERVISOR, ADMIN}
    await tick(db, tenant, [], T0 + timedelta(minutes=121))
    resolved = {r[0] for r in await inbox_of(db, tenant) if r[1] == "resolved"}
    assert resolved == {OPERATOR, HEAD, SUPERVISOR, ADMIN}
    # Another regency's operator and another province's supervisor: nothing, on any channel.
    told = {r[0] for r in await inbox_of(db, tenant)}
    assert told == {OPERATOR, HEAD, SUPERVISOR, ADMIN}
    assert {d.recipient for d in await deliveries_of(db, tenant)} == told
    assert all(d.channel == "email" for d in await deliveries_of(db, tenant))


async def test_resolving_an_alert_nobody_escalated_tells_only_the_regency(
    db: ScratchDatabase,
) -> None:
    tenant = await people(db)
    await tick(db, tenant, [STOPPED], T0)
    await tick(db, tenant, [], T0 + timedelta(minutes=5))
    resolved = {r[0] for r in await inbox_of(db, tenant) if r[1] == "resolved"}
    assert resolved == {OPERATOR, HEAD}


async def test_a_rerun_of_the_same_changes_creates_nothing_twice(db: ScratchDatabase) -> None:
    tenant = await people(db)
    changes = await reconcile(db, tenant, [STOPPED], T0)
    first = await fan_out(db, tenant, changes, T0)
    again = await fan_out(db, tenant, changes, T0)
    assert len(first) == 2 and again == []
    assert len(await deliveries_of(db, tenant)) == 2
    assert len(await inbox_of(db, tenant)) == 2
    keys = [d.idempotency_key for d in await deliveries_of(db, tenant)]
    assert len(set(keys)) == 2


async def test_channels_follow_the_profile(db: ScratchDatabase) -> None:
    tenant = await people(db)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        await service.save_preferences(
            session,
            OPERATOR,
            service.PreferenceForm(
                email_on=False, telegram_on=True, telegram_chat_id="-1001234567"
            ),
            allow_private_webhooks=True,
            cipher=CIPHER,
            now=T0,
        )
    await tick(db, tenant, [STOPPED], T0)
    by_person = {(d.recipient, d.channel) for d in await deliveries_of(db, tenant)}
    assert by_person == {(OPERATOR, "telegram"), (HEAD, "email")}
    # The inbox does not depend on the channels.
    assert {r[0] for r in await inbox_of(db, tenant)} == {OPERATOR, HEAD}
