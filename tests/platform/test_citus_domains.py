"""A smoke test of each domain on the distributed database (issue 18): `make test-citus` runs it
on a coordinator and two workers; without a cluster it is skipped.

Every step goes through the services, with the scope entered the way the web routes enter it
(TenantScope.single for an operator, read_only over the province for a supervisor), so each
write and read crosses the policies on the shards. The tests share one database for the module
(tests/fixtures/citus.py), so each uses its own regencies of the demo province (the rollup test
uses 62.03, 62.12 and 62.71).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from siaga_platform.applications.statuses import Status
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.hardware import outages, repository, service
from siaga_platform.hardware.models import BeatStatus
from siaga_platform.letters.models import Letter, LetterReason
from siaga_platform.stock import ledger, loans
from siaga_platform.stock import repository as stock_repository
from siaga_platform.stock.models import EntryKind, Item, Loan
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import local_date
from tests.fixtures import applications as apps
from tests.fixtures import citus as fixtures
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.hardware import server_of
from tests.letters import helpers as letter_helpers
from tests.rollup import test_agreement as rollup_agreement

# The module's distributed database (one per module: tests/fixtures/citus.py).
citus_urls = fixtures.citus_urls
cdb = fixtures.cdb


async def _shard_count(db: ScratchDatabase, table: str, tenant_id: uuid.UUID) -> int:
    """How many shards of ``table`` hold the tenant's rows: a distributed table answers 1."""
    async with db.engine.connect() as connection:
        return await connection.scalar(
            text(
                "select count(*) from pg_dist_shard where logicalrelid = cast(:t as regclass)"
                " and shardid = get_shard_id_for_distribution_column(:t, cast(:tenant as uuid))"
            ),
            {"t": table, "tenant": str(tenant_id)},
        )


async def _receive(db: ScratchDatabase, who: Principal, item: Item, quantity: int) -> None:
    now = datetime.now(UTC)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        today = await local_date(session, who.tenant_id, now)  # type: ignore[arg-type]
        await ledger.receive(
            session,
            who,
            item=item,
            quantity=quantity,
            reference="KEMENDAGRI/BLANKO",
            business_date=today,
            today=today,
            now=now,
        )


async def _on_hand(db: ScratchDatabase, who: Principal, item: Item = Item.BLANK_CARD) -> int:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        found = await stock_repository.balance(session, item)
        return found.on_hand if found else 0


async def test_an_application_is_registered_and_moves_one_status(cdb: ScratchDatabase) -> None:
    who = await apps.operator(cdb, "62.01")
    registered = await apps.register(cdb, who, apps.nik_for(1, regency="6201"))
    assert Status(registered.status) is Status.REGISTERED
    moved = await apps.move(cdb, who, registered.id, registered.version, Status.RECORDED)
    assert Status(moved.status) is Status.RECORDED and moved.version > registered.version
    assert await _shard_count(cdb, "applications", who.tenant_id) == 1  # type: ignore[arg-type]
    # Read back through the wall: the operator's regency sees it, another regency does not.
    other = await apps.operator(cdb, "62.02")
    for reader, seen in ((who, Status.RECORDED.value), (other, None)):
        async with cdb.session_factory() as session:
            await enter_scope(session, TenantScope.single(reader.tenant_id))  # type: ignore[arg-type]
            status = await session.scalar(
                text("select status from applications where id = :i"), {"i": registered.id}
            )
        assert status == seen


async def test_a_print_takes_a_blank_card(cdb: ScratchDatabase) -> None:
    who = await apps.operator(cdb, "62.02")
    await _receive(cdb, who, Item.BLANK_CARD, 5)
    await _receive(cdb, who, Item.RIBBON, 1)
    application = await apps.register(cdb, who, apps.nik_for(2, regency="6202"))
    application = await apps.advance(cdb, who, application, Status.PRINT_QUEUED)
    async with unit_of_work(cdb.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        printed = await apps.service.print_card(
            session,
            who,
            application.id,
            expected_version=application.version,
            stock=ledger.LedgerCardStock(local_date),
            now=datetime.now(UTC),
        )
    assert Status(printed.status) is Status.PRINTED
    assert await _on_hand(cdb, who) == 4
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        taken = await stock_repository.entries(
            session, Item.BLANK_CARD, kinds=[EntryKind.CONSUMPTION]
        )
    assert [e.quantity for e in taken] == [-1]


async def test_heartbeats_change_a_state_and_silence_opens_an_incident(
    cdb: ScratchDatabase,
) -> None:
    who, device_id, token, _site_id = await server_of(cdb, await apps.operator(cdb, "62.04"))
    assert who.tenant_id is not None
    t0 = datetime.now(UTC) - timedelta(hours=2)

    async def beat(at: datetime, status: BeatStatus) -> None:
        # The intake as the API runs it on PostgreSQL: the SQL pipeline of hardware/beat_sql.py
        # (scope with SET LOCAL, a device lock per regency, the idempotent insert, the fold).
        async with unit_of_work(cdb.session_factory) as session:
            result = await service.take_beats(
                session, [(token, service.BeatIn(at, status))], now=at
            )
        assert result.accepted == 1

    for k in range(3):
        await beat(t0 + timedelta(minutes=k), BeatStatus.OK)
    async with unit_of_work(cdb.session_factory) as session:
        report = await outages.sweep_tenant(session, who.tenant_id, now=t0 + timedelta(hours=1))
    assert report.opened == 1
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        [incident] = await repository.open_incidents(session)
        assert incident.device_id == device_id
        beats = await repository.recent_beats(session, device_id)
        assert len(beats) == 3
    back = t0 + timedelta(minutes=80)
    for k in range(3):
        await beat(back + timedelta(minutes=k), BeatStatus.OK)
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        assert await repository.open_incidents(session) == []
        timeline = await repository.incident_timeline(session, incident.id)
        assert [e.kind for e in timeline] == ["opened", "closed"]
    for table in ("hardware_heartbeats", "hardware_devices", "hardware_incidents"):
        assert await _shard_count(cdb, table, who.tenant_id) == 1, table


async def _on_two_workers(db: ScratchDatabase, codes: list[str]) -> tuple[str, str]:
    """Two of ``codes`` whose rows live on different workers.

    Tenant ids are random, so all of ``codes`` can hash to shards on one worker (about one run
    in 2**(len(codes) - 1)); then the second code's shard group is moved to the other worker,
    so the test always crosses two nodes.
    """
    placement = (
        "select p.shardid, p.nodename, p.nodeport from pg_dist_shard_placement p join tenants t"
        " on p.shardid = get_shard_id_for_distribution_column('stock_ledger', t.id)"
        " where t.code = :c"
    )
    node = {}
    async with db.engine.connect() as connection:
        for code in codes:
            node[code] = (await connection.execute(text(placement), {"c": code})).one()
    first = codes[0]
    apart = [c for c in codes if node[c].nodeport != node[first].nodeport]
    if apart:
        return first, apart[0]
    second = codes[1]
    shard_id, source_host, source_port = node[second]
    other = next(p for p in fixtures.worker_ports() if p != source_port)
    # block_writes: copy while writes wait (the default, logical replication, needs wal_level
    # = logical on every node). Colocated shards (every tenant table) move together.
    fixtures.run_as_admin(
        db.name,
        "select citus_move_shard_placement(:shard, :host, :source, :host, :target,"
        " shard_transfer_mode => 'block_writes')",
        {"shard": shard_id, "host": source_host, "source": source_port, "target": other},
    )
    async with db.engine.connect() as connection:
        moved = (await connection.execute(text(placement), {"c": second})).one()
    assert moved.nodeport == other != node[first].nodeport
    return first, second


async def test_a_batch_of_two_regencies_on_two_workers_is_taken_in_one_transaction(
    cdb: ScratchDatabase,
) -> None:
    # A batch spanning regencies whose shards live on different workers: one device lock per
    # regency (Citus takes FOR UPDATE only on one shard), one insert, one fold per regency.
    first, second = await _on_two_workers(cdb, ["62.04", "62.05", "62.06", "62.08", "62.09"])
    servers = [await server_of(cdb, await apps.operator(cdb, code)) for code in (first, second)]
    at = datetime.now(UTC) - timedelta(minutes=5)
    sent = [
        (token, service.BeatIn(at + timedelta(seconds=k), BeatStatus.OK))
        for _who, _device, token, _site in servers
        for k in range(2)
    ]
    async with unit_of_work(cdb.session_factory) as session:
        taken = await service.take_beats(session, sent, now=at + timedelta(minutes=1), batch=True)
    assert (taken.accepted, taken.duplicates) == (4, 0)
    async with unit_of_work(cdb.session_factory) as session:
        again = await service.take_beats(session, sent, now=at + timedelta(minutes=1), batch=True)
    assert (again.accepted, again.duplicates) == (0, 4)
    for who, device_id, _token, _site in servers:
        async with cdb.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            assert len(await repository.recent_beats(session, device_id)) == 2
            device = await repository.device(session, device_id)
            assert device is not None
            assert device.last_beat_at == at + timedelta(seconds=1)


async def test_a_loan_writes_two_regencies_in_one_transaction(cdb: ScratchDatabase) -> None:
    # Two regencies on two workers: the approval writes both in one distributed transaction
    # (Citus commits it with two-phase commit).
    lender_code, borrower_code = await _on_two_workers(
        cdb, ["62.05", "62.06", "62.08", "62.09", "62.10", "62.11"]
    )
    lender, borrower = (
        await apps.operator(cdb, lender_code),
        await apps.operator(cdb, borrower_code),
    )
    async with cdb.session_factory() as session:
        ids = frozenset(t.id for t in await tenants.list_in_province(session, "62"))
    supervisor = Principal(
        subject="test-supervisor-62",
        display_name="Supervisor",
        role=Role.SUPERVISOR_PROVINSI,
        province_code="62",
        province_tenant_ids=ids,
    )
    await _receive(cdb, lender, Item.BLANK_CARD, 300)
    now = datetime.now(UTC)
    async with unit_of_work(cdb.session_factory) as session:
        await enter_scope(session, TenantScope.single(borrower.tenant_id))  # type: ignore[arg-type]
        loan_id = await loans.ask(
            session,
            borrower,
            lender=lender.tenant_id,  # type: ignore[arg-type]
            lender_province="62",
            quantity=120,
            note="blanko habis",
            now=now,
        )
    async with unit_of_work(cdb.session_factory) as session:
        await enter_scope(session, TenantScope.read_only(supervisor.province_tenant_ids))
        await loans.decide(
            session,
            supervisor,
            loan_id,
            province_code="62",
            approve=True,
            business_date=await local_date(session, lender.tenant_id, now),  # type: ignore[arg-type]
            now=now,
        )
    assert (await _on_hand(cdb, lender), await _on_hand(cdb, borrower)) == (180, 120)
    # Both ledgers agree: the lender's loan-out is the borrower's loan-in, one copy each side.
    sides = {}
    for who, kind in ((lender, EntryKind.LOAN_OUT), (borrower, EntryKind.LOAN_IN)):
        async with cdb.session_factory() as session:
            await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
            entries = await stock_repository.entries(session, Item.BLANK_CARD, kinds=[kind])
            copies = (await session.scalars(select(Loan).where(Loan.id == loan_id))).all()
        sides[kind] = sum(e.quantity for e in entries)
        assert len(copies) == 1
    assert sides[EntryKind.LOAN_OUT] == -sides[EntryKind.LOAN_IN] == -120


async def test_a_letter_is_issued_with_its_number(cdb: ScratchDatabase) -> None:
    who = await apps.operator(cdb, "62.07")
    [first, second] = await letter_helpers.recorded_applicants(cdb, who, 2, first_serial=701)
    async with cdb.session_factory() as session:
        today = await local_date(session, who.tenant_id, datetime.now(UTC))  # type: ignore[arg-type]
    one = await letter_helpers.issue(cdb, who, first, today=today)
    two = await letter_helpers.issue(cdb, who, second, today=today, reason=LetterReason.OTHER,
                                     note="cetak ulang")  # fmt: skip
    assert (one.year, two.year) == (today.year, today.year)
    assert two.sequence == one.sequence + 1 and one.number != two.number
    assert str(one.sequence) in one.number
    async with cdb.session_factory() as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        numbers = (await session.scalars(select(Letter.number).order_by(Letter.sequence))).all()
    assert list(numbers) == [one.number, two.number]


async def test_the_rollup_summaries_agree_with_the_raw_tables(cdb: ScratchDatabase) -> None:
    await rollup_agreement.test_the_summaries_agree_with_the_raw_tables(cdb)
