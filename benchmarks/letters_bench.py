"""Substitute letters on PostgreSQL (issue: substitute letters).

200 concurrent issuances in one regency through the app's own service, as the app's database
role (RLS on): throughput, and proof that the numbers are exactly 1..200 (no gap, no
duplicate). Then the PDF of one letter: generation time per letter (decrypt, render, audit).

    make bench
    .venv/bin/python -m benchmarks.letters_bench
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime

from sqlalchemy import select

from benchmarks.applications_bench import BIG_TENANT, SETTINGS, prepare
from benchmarks.common import BenchDatabase, Timing, applicants_waiting_for_print, timed
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.db.engine import create_engine
from siaga_platform.letters import service
from siaga_platform.letters.document import OfficeHeader
from siaga_platform.letters.models import Letter, LetterReason
from siaga_platform.privacy.crypto import cipher_from_settings
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import create_session_factory, unit_of_work
from siaga_tenants.domain_inputs.letters import letter_policy, update_letter_settings
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry import repository as tenants

CONCURRENT = 200
PDF_RUNS = 100
TODAY = date.today()


async def measure(database: BenchDatabase, tenant_id: object) -> None:
    engine = create_engine(database.app_url, pool_size=20, max_overflow=10)
    factory = create_session_factory(engine)
    cipher = cipher_from_settings(SETTINGS)
    regions = CodeListDirectory()
    who = Principal(
        subject="bench",
        display_name="B",
        role=Role.OPERATOR,
        tenant_id=tenant_id,  # type: ignore[arg-type]
        tenant_code=BIG_TENANT,
        province_code="62",
    )
    scope = TenantScope.single(tenant_id)  # type: ignore[arg-type]
    async with unit_of_work(factory) as session:
        await enter_scope(session, scope)
        await update_letter_settings(
            session,
            actor_subject="bench",
            number_format="470/{nomor}/DISDUKCAPIL/{tahun}",
            validity_months=6,
            signer_name="Drs. Kepala Dinas Benchmark",
            signer_title="Kepala Dinas Kependudukan dan Pencatatan Sipil",
        )
    ids = await applicants_waiting_for_print(
        factory,
        tenant_id,  # type: ignore[arg-type]
        cipher,
        CONCURRENT,
        nik_prefix="621201170895",
        created_by="bench-letters",
    )
    async with factory() as session:
        await enter_scope(session, scope)
        policy = letter_policy(await tenants.get_settings(session))

    async def one(application_id: object) -> Letter:
        async with unit_of_work(factory) as session:
            await enter_scope(session, scope)
            return await service.issue(
                session,
                who,
                cipher,
                regions,
                application_id,  # type: ignore[arg-type]
                reason=LetterReason.NO_BLANK_CARDS,
                note=None,
                policy=policy,
                today=TODAY,
                now=datetime.now(UTC),
            )

    started = time.perf_counter()
    issued = await asyncio.gather(*(one(i) for i in ids))
    elapsed = time.perf_counter() - started
    async with factory() as session:
        await enter_scope(session, scope)
        stored = list((await session.scalars(select(Letter.sequence))).all())
    exact = sorted(stored) == list(range(1, CONCURRENT + 1))
    print(
        f"{CONCURRENT} concurrent issuances in one regency: {len(issued) / elapsed:,.0f} letters/s"
        f" ({elapsed * 1000:.0f} ms); numbers 1..{max(stored)}, {len(set(stored))} distinct,"
        f" {'no gap, no duplicate' if exact else 'GAP OR DUPLICATE'}",
        flush=True,
    )
    office = OfficeHeader(regency_name="Kabupaten Murung Raya", seat="Murung Raya")

    async def pdf(i: int) -> bytes:
        async with unit_of_work(factory) as session:
            await enter_scope(session, scope)
            _letter, content = await service.document(
                session,
                who,
                cipher,
                regions,
                issued[i % len(issued)].id,
                office=office,
                regency_code=BIG_TENANT,
                base_url="https://siaga.example.go.id",
                today=TODAY,
            )
            return content

    size = len(await pdf(0))
    timing: Timing = await timed("PDF of one letter (decrypt, render, audit)", PDF_RUNS, pdf)
    print(f"{timing.line()}; {size / 1024:.1f} KiB per letter", flush=True)
    await engine.dispose()


def main() -> None:
    print("letters benchmark", flush=True)
    database = BenchDatabase.create()
    tenants_by_code = asyncio.run(prepare(database))
    asyncio.run(measure(database, tenants_by_code[BIG_TENANT][0]))


if __name__ == "__main__":
    main()
