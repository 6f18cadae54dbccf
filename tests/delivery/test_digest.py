"""The morning digest: due from 07:00 to noon in the province's own zone, sent once per
province and day to its supervisors (worst regency first, what changed since yesterday, no
personal data), on both databases; two workers sending the same row send one message."""

from __future__ import annotations

import asyncio
import email
import re
from datetime import UTC, date, datetime, timedelta

from siaga_platform.alerts.digest import digest_day
from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.delivery.digest import queue_digest, send_digest
from siaga_platform.delivery.models import DeliveryStatus
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships import repository as memberships
from siaga_tenants.memberships.audience import digest_provinces
from tests.delivery.helpers import OTHER_SUPERVISOR, SUPERVISOR, address_of
from tests.delivery.test_deliver import channels
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.notify.servers import SmtpServer


def test_the_digest_is_due_from_seven_to_noon_in_the_provinces_own_clock() -> None:
    day = date(2026, 12, 3)
    at = datetime(2026, 12, 3, tzinfo=UTC)
    # 07:00 WIB is 00:00 UTC; 07:00 WIT is 22:00 UTC the day before.
    assert digest_day("WIB", at - timedelta(minutes=1)) is None
    assert digest_day("WIB", at) == day
    assert digest_day("WIB", at + timedelta(hours=4, minutes=59)) == day
    assert digest_day("WIB", at + timedelta(hours=5)) is None  # noon: skipped, not late
    assert digest_day("WIT", at - timedelta(hours=2)) == day
    assert digest_day("WITA", at - timedelta(hours=2)) is None  # 06:00 WITA


async def test_supervisors_get_one_digest_a_day_worst_first(db: ScratchDatabase) -> None:
    await seed_whole_demo(db)
    # This morning's 07:05 WIB: the demo's alerts opened since yesterday.
    now = datetime.now(UTC).replace(hour=0, minute=5, second=0, microsecond=0)
    await evaluate_all(db.session_factory, active_regencies, now=now - timedelta(hours=1))
    async with unit_of_work(db.session_factory) as session:
        user = await memberships.get_user(session, SUPERVISOR)
        assert user is not None
        user.email = address_of(SUPERVISOR)
        provinces = await digest_provinces(session, now)
    [kalteng] = [p for p in provinces if p.code == "62"]
    assert kalteng.name.upper() == "KALIMANTAN TENGAH"
    assert kalteng.zone == "WIB" and SUPERVISOR in {s.subject for s in kalteng.supervisors}
    assert OTHER_SUPERVISOR not in {s.subject for s in kalteng.supervisors}
    day = digest_day(kalteng.zone, now)
    assert day is not None
    async with unit_of_work(db.session_factory) as session:
        jobs = await queue_digest(session, kalteng, day, now=now)
    async with unit_of_work(db.session_factory) as session:
        again = await queue_digest(session, kalteng, day, now=now)
    assert [j.recipient for j in jobs] == [SUPERVISOR] and again == jobs  # one row, still due

    async def provinces_of(session: object, at: datetime) -> list:  # type: ignore[type-arg]
        return provinces

    with SmtpServer() as server:
        settings = channels(server.port)
        outcomes = await asyncio.gather(  # two workers took the same job
            *(
                send_digest(db.session_factory, provinces_of, settings, jobs[0], now=now)
                for _ in range(2)
            )
        )
        later = await send_digest(
            db.session_factory, provinces_of, settings, jobs[0], now=now + timedelta(minutes=5)
        )
    assert sorted(str(o.status) for o in outcomes) == sorted(["None", str(DeliveryStatus.SENT)])
    assert later.status is None
    [envelope] = server.handler.envelopes
    message = email.message_from_bytes(envelope.content)  # type: ignore[arg-type]
    assert "Ringkasan pagi Siaga" in str(message["Subject"])
    assert str(message["To"]) == address_of(SUPERVISOR)
    text = next(
        part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    lines = text.splitlines()
    first = next(line for line in lines if line.startswith("1. "))
    assert "Murung Raya" in first and "(Gawat)" in first  # worst first
    assert any(line.startswith("Baru: Perekaman berhenti, Kabupaten Murung Raya") for line in lines)
    assert "Masih terbuka:" in text and "/provinsi/62" in text
    assert not re.search(r"\d{16}", text.replace(" ", ""))  # no NIK
    async with unit_of_work(db.session_factory) as session:
        assert await queue_digest(session, kalteng, day, now=now) == []  # sent: nothing due
