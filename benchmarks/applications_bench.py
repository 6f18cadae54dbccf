"""Applications at scale on PostgreSQL (issue: e-KTP applications).

- Loads N applications across all 514 regencies, one of them holding BIG (default 10,000,000
  total, 2,000,000 in Murung Raya), with COPY as the superuser, encrypted and hashed exactly as
  the app does (no timeline events: the register and NIK search do not read them).
- Measures, through the real ASGI app in-process as a signed-in operator (so RLS, the ORM wall,
  decryption and templates all count), the register's first page and a NIK search: p50/p95.
- Imports a 100,000-row CSV through the importer and reports rows per second.

    make bench                                    # full scale
    BENCH_TOTAL=200000 BENCH_BIG=50000 make bench # a quick run
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import psycopg

from benchmarks.common import BenchDatabase, timed
from siaga_platform.applications import importer
from siaga_platform.applications.nik import mask
from siaga_platform.applications.statuses import Status
from siaga_platform.auth.principal import Role
from siaga_platform.config import Settings
from siaga_platform.db.engine import create_engine
from siaga_platform.privacy.crypto import cipher_from_settings
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import create_session_factory, unit_of_work
from siaga_tenants.memberships import service as memberships
from siaga_tenants.regions import repository as regions
from siaga_tenants.regions.service import load_reference_data
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import provision_tenant
from siaga_web.app import create_app
from siaga_web.runtime import runtime

TOTAL = int(os.environ.get("BENCH_TOTAL", "10000000"))
# Murung Raya holds a fifth of them by default (2 M of the national 10 M). BENCH_TOTAL alone
# once loaded 2 M into Murung Raya and none elsewhere (a fixed 2 M, more than the total).
BIG = int(os.environ.get("BENCH_BIG", str(TOTAL // 5)))
if not 0 < BIG <= TOTAL:
    raise SystemExit(f"BENCH_BIG ({BIG:,}) must be between 1 and BENCH_TOTAL ({TOTAL:,})")
BIG_TENANT = "62.12"
SETTINGS = Settings(secret_key="benchmark-secret-key-not-for-production")
STATUSES = [s.value for s in Status]
WEIGHTS = [5, 8, 5, 3, 9, 2, 2, 1, 3, 3, 5, 50, 4]
COLUMNS = [
    "tenant_id",
    "id",
    "nik_hash",
    "nik_ciphertext",
    "nik_masked",
    "name_ciphertext",
    "key_id",
    "birth_place",
    "birth_date",
    "sex",
    "kecamatan_code",
    "desa",
    "reason",
    "priority",
    "status",
    "status_since",
    "registered_on",
    "created_by",
    "created_at",
    "version",
]


async def prepare(database: BenchDatabase) -> dict[str, tuple[uuid.UUID, list[str]]]:
    engine = create_engine(database.owner_url)
    async with unit_of_work(create_session_factory(engine)) as session:
        await load_reference_data(session)
    engine = create_engine(database.app_url)
    out: dict[str, tuple[uuid.UUID, list[str]]] = {}
    async with unit_of_work(create_session_factory(engine)) as session:
        for province in await regions.list_provinces(session):
            for regency in await regions.list_regencies(session, province.code):
                tenant = await provision_tenant(session, regency.code, actor_subject="bench")
                kecamatan = [k.code for k in await regions.list_kecamatan(session, regency.code)]
                out[regency.code] = (tenant.id, kecamatan)
        mura_id = out[BIG_TENANT][0]
        await memberships.ensure_user(session, "bench-operator", "Operator Benchmark")
        await memberships.grant(session, "bench-operator", Role.OPERATOR, tenant_id=mura_id)
    await engine.dispose()
    return out


def _uuid7(ms: int, rng: random.Random) -> uuid.UUID:
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rng.getrandbits(12) << 64
    value |= 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


def load(database: BenchDatabase, tenants_by_code: dict[str, tuple[uuid.UUID, list[str]]]) -> str:
    """COPY the applications in; returns one NIK of the big tenant to search for."""
    cipher = cipher_from_settings(SETTINGS)
    rng = random.Random(2017)
    codes = sorted(tenants_by_code)
    others = [c for c in codes if c != BIG_TENANT]
    plan = [(BIG_TENANT, BIG)] + [(c, (TOTAL - BIG) // len(others)) for c in others]
    now_ms = int(time.time() * 1000)
    probe = ""
    started = time.perf_counter()
    loaded = 0
    with psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql")) as conn:
        for code, count in plan:
            tenant_id, kecamatan = tenants_by_code[code]
            counts: dict[str, int] = {}
            with conn.cursor().copy(f"COPY applications ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for serial in range(count):
                    # (birth date, serial) is unique per tenant: no NIK repeats.
                    born = date(1950, 1, 1) + timedelta(days=serial // 9999)
                    digits = (
                        f"{code.replace('.', '')}{rng.choice(kecamatan)[-2:]}"
                        f"{born.day + (40 if serial % 2 else 0):02d}{born.month:02d}"
                        f"{born.year % 100:02d}{serial % 9999 + 1:04d}"
                    )
                    status = rng.choices(STATUSES, WEIGHTS)[0]
                    since = datetime.fromtimestamp(
                        (now_ms - rng.randint(0, 90 * 86400 * 1000)) / 1000, UTC
                    )
                    app_id = _uuid7(now_ms - (count - serial) * 10, rng)
                    name = f"Warga {serial} Nomor"
                    copy.write_row(
                        (
                            tenant_id,
                            app_id,
                            cipher.search_hash(digits, tenant_id=tenant_id, field="nik"),
                            cipher.encrypt(digits, tenant_id=tenant_id, field="nik"),
                            mask(digits),
                            cipher.encrypt(name, tenant_id=tenant_id, field="name"),
                            cipher.current_key_id,
                            "-",
                            born,
                            "P" if serial % 2 else "L",
                            rng.choice(kecamatan),
                            "-",
                            "first_card",
                            "first_time",
                            status,
                            since,
                            since.date(),
                            "bench",
                            since,
                            1,
                        )
                    )
                    counts[status] = counts.get(status, 0) + 1
                    if code == BIG_TENANT and serial == count // 2:
                        probe = digits
            with conn.cursor() as cursor:
                for status, n in counts.items():
                    cursor.execute(
                        "INSERT INTO application_status_counts (tenant_id, status, count) "
                        "VALUES (%s, %s, %s) ON CONFLICT (tenant_id, status) "
                        "DO UPDATE SET count = application_status_counts.count + excluded.count",
                        (tenant_id, status, n),
                    )
            conn.commit()
            loaded += count
            if code == BIG_TENANT or loaded % 1_000_000 < count:
                rate = loaded / (time.perf_counter() - started)
                print(f"  loaded {loaded:,} applications ({rate:,.0f}/s)", flush=True)
        with conn.cursor() as cursor:
            cursor.execute("ANALYZE")
    return probe


async def measure_pages(database: BenchDatabase, probe_nik: str) -> list[str]:
    app = create_app(SETTINGS.model_copy(update={"database_url": database.app_url}))
    transport = httpx.ASGITransport(app=app)
    lines = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        page = await client.get("/masuk")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        from siaga_platform.auth import service as auth_sessions  # noqa: F401 - documents path

        # Sign in the way the development sign-in does (the bench user is not a demo user).
        runtime(app).settings = runtime(app).settings.model_copy(update={"dev_sign_in": True})
        answer = await client.post(
            "/masuk/dev", data={"subject": "bench-operator", "csrf_token": token.group(1)}
        )
        assert answer.status_code == 303, answer.text
        base = f"/wilayah/{BIG_TENANT}/permohonan"
        for _ in range(5):  # warm
            await client.get(base)
        first_page = await timed(
            "register first page (2M-row tenant)", 200, lambda _: client.get(base)
        )
        prr_page = await timed(
            "register filtered status=prr",
            100,
            lambda _: client.get(base, params={"status": "prr"}),
        )
        search = await timed(
            "NIK search (exact, via keyed hash)",
            200,
            lambda _: client.get(base, params={"q": probe_nik}),
        )
        hit = await client.get(base, params={"q": probe_nik})
        assert mask(probe_nik) in hit.text, "the probe NIK was not found"
        size = len((await client.get(base)).content)
        lines += [
            first_page.line(),
            prr_page.line(),
            search.line(),
            f"register first page size: {size / 1024:.1f} KiB",
        ]
    return lines


async def measure_import(database: BenchDatabase, rows: int = 100_000) -> str:
    engine = create_engine(database.app_url)
    factory = create_session_factory(engine)
    cipher = cipher_from_settings(SETTINGS)
    async with factory() as session:
        tenant = await tenants.get_by_code(session, "62.71")
        assert tenant is not None
        kecamatan = [(k.code, k.name) for k in await regions.list_kecamatan(session, "62.71")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["nik", "nama", "tanggal_lahir", "jenis_kelamin", "kecamatan", "status", "tanggal"]
    )
    rng = random.Random(42)
    today = date.today()
    for serial in range(rows):
        born = date(1960, 1, 1) + timedelta(days=serial // 9999)
        female = serial % 2 == 1
        digits = (
            f"6271{rng.choice(kecamatan)[0][-2:]}{born.day + (40 if female else 0):02d}"
            f"{born.month:02d}{born.year % 100:02d}{serial % 9999 + 1:04d}"
        )
        writer.writerow(
            [
                digits,
                f"Warga Impor {serial}",
                born.isoformat(),
                "P" if female else "L",
                rng.choice(kecamatan)[0],
                rng.choice(["BC", "SFE", "PRR", "CP"]),
                (today - timedelta(days=rng.randint(0, 60))).isoformat(),
            ]
        )
    content = out.getvalue().encode()
    from siaga_platform.auth.principal import Principal

    who = Principal(
        subject="bench",
        display_name="bench",
        role=Role.OPERATOR,
        tenant_id=tenant.id,
        tenant_code="62.71",
        province_code="62",
    )
    async with unit_of_work(factory) as session:
        await enter_scope(session, TenantScope.single(tenant.id))
        job = await importer.create_import(session, who, filename="bench.csv", content=content)
    started = time.perf_counter()
    await importer.run_import(
        factory, cipher, kecamatan, tenant_id=tenant.id, job_id=job.id, today=today
    )
    elapsed = time.perf_counter() - started
    async with factory() as session:
        await enter_scope(session, TenantScope.single(tenant.id))
        from siaga_platform.applications import repository

        done = await repository.get_import(session, job.id)
        assert done is not None
        created, dupes, errors = done.created_count, done.duplicate_count, done.error_count
    await engine.dispose()
    return (
        f"CSV import {rows:,} rows: {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s "
        f"(created {created:,}, duplicates {dupes:,}, bad {errors:,})"
    )


def main() -> None:
    print(f"applications benchmark: {TOTAL:,} applications, {BIG:,} in {BIG_TENANT}", flush=True)
    database = BenchDatabase.create()
    tenants_by_code = asyncio.run(prepare(database))
    started = time.perf_counter()
    probe = load(database, tenants_by_code)
    print(f"  load took {time.perf_counter() - started:,.0f} s", flush=True)
    for line in asyncio.run(measure_pages(database, probe)):
        print(line, flush=True)
    print(asyncio.run(measure_import(database)), flush=True)


if __name__ == "__main__":
    main()
