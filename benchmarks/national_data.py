"""A realistic national data set on PostgreSQL for the province and national views.

514 regencies; 10,000,000 applications (applications_bench); 50,000 devices with a day of
heartbeat history (10 per device) and each regency's hardware summary; 1,000,000 stock ledger
entries with their balances and per-day rows (stock_bench); 500,000 substitute letters with
their counters and counts. Some regencies are in trouble: Murung Raya (62.12) has had its
recording stopped for ten weeks (a site incident), no blank cards for 30 days and a pile of
letters; a few others are out of stock, silent or have a set down.

    BENCH_TOTAL=1000000 .venv/bin/python -m benchmarks.rollup_bench   # a smaller set
"""

from __future__ import annotations

import os
import random
import secrets
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import psycopg

from benchmarks import applications_bench, heartbeats_bench, stock_bench
from benchmarks.common import BenchDatabase

LETTERS = int(os.environ.get("BENCH_LETTERS", "500000"))
MURUNG_RAYA = "62.12"
PILE = 20_000  # Murung Raya's letters
OUT_OF_STOCK = ("62.12", "11.01", "53.07", "91.03", "94.01")
SILENT = ("94.04", "81.02")
SET_DOWN = ("62.05", "33.01", "73.71")


def _connect(database: BenchDatabase) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(database.admin_url.replace("postgresql+psycopg", "postgresql"))


def load_letters(database: BenchDatabase, tenants: dict[str, tuple[uuid.UUID, list[str]]]) -> None:
    """Letters for recorded applications of each regency (COPY), with counters and counts."""
    rng = random.Random(2299)
    today = date.today()
    codes = sorted(tenants)
    per_other = (LETTERS - PILE) // (len(codes) - 1)
    with _connect(database) as conn:
        expiry: Counter[tuple[uuid.UUID, date]] = Counter()
        issued: Counter[tuple[uuid.UUID, date]] = Counter()
        counters: dict[uuid.UUID, int] = {}
        for code in codes:
            tenant_id = tenants[code][0]
            want = PILE if code == MURUNG_RAYA else per_other
            rows = conn.execute(
                "SELECT id, nik_hash, nik_masked FROM applications WHERE tenant_id = %s"
                " AND status IN ('recorded', 'sent', 'received', 'prr', 'print_queued')"
                " LIMIT %s",
                (tenant_id, want),
            ).fetchall()
            with conn.cursor().copy(
                "COPY letters (tenant_id, id, application_id, nik_hash, nik_masked, holder_masked,"
                " year, sequence, number, reason, status_code, issued_on, valid_until,"
                " signer_name, signer_title, token, content_hash, converted, issued_by,"
                " created_at, version) FROM STDIN"
            ) as copy:
                for sequence, (application_id, nik_hash, nik_masked) in enumerate(rows, 1):
                    issued_on = today - timedelta(days=rng.randint(0, 170))
                    valid_until = issued_on + timedelta(days=182)
                    copy.write_row(
                        (
                            tenant_id,
                            uuid.uuid4(),
                            application_id,
                            nik_hash,
                            nik_masked,
                            "B**i S*****o",
                            today.year,
                            sequence,
                            f"470/{sequence:04d}/DISDUKCAPIL/{today.year}",
                            "no_blank_cards",
                            "PRR",
                            issued_on,
                            valid_until,
                            "Kepala Dinas",
                            "Kepala Dinas Kependudukan dan Pencatatan Sipil",
                            secrets.token_urlsafe(18),
                            "0000-0000-0000",
                            False,
                            "bench",
                            datetime.now(UTC),
                            1,
                        )
                    )
                    expiry[(tenant_id, valid_until)] += 1
                    issued[(tenant_id, issued_on)] += 1
            counters[tenant_id] = len(rows)
        with conn.cursor().copy(
            "COPY letter_expiry_counts (tenant_id, valid_until, count) FROM STDIN"
        ) as copy:
            for (tenant_id, day), n in expiry.items():
                copy.write_row((tenant_id, day, n))
        with conn.cursor().copy(
            "COPY letter_day_counts (tenant_id, day, metric, count) FROM STDIN"
        ) as copy:
            for (tenant_id, day), n in issued.items():
                copy.write_row((tenant_id, day, "issued", n))
        with conn.cursor().copy(
            "COPY letter_counters (tenant_id, year, last_number) FROM STDIN"
        ) as copy:
            for tenant_id, n in counters.items():
                copy.write_row((tenant_id, today.year, n))
        conn.commit()


def load_hardware(database: BenchDatabase, tenants: dict[str, tuple[uuid.UUID, list[str]]]) -> None:
    """A day of heartbeats per device, each regency's summary, and the troubled regencies'
    incidents (Murung Raya's site outage of ten weeks)."""
    rng = random.Random(17)
    now = datetime.now(UTC)
    with _connect(database) as conn:
        devices = conn.execute("SELECT tenant_id, id FROM hardware_devices").fetchall()
        with conn.cursor().copy(
            "COPY hardware_heartbeats (tenant_id, device_id, taken_at, status, readings,"
            " received_at) FROM STDIN"
        ) as copy:
            for tenant_id, device_id in devices:
                for n in range(10):
                    at = now - timedelta(minutes=150 * n + 2)
                    copy.write_row((tenant_id, device_id, at, "ok", "{}", at))
        strike = now - timedelta(days=70)
        site = conn.execute(
            "SELECT id FROM hardware_sites WHERE tenant_id = %s", (tenants[MURUNG_RAYA][0],)
        ).fetchone()
        with conn.cursor().copy(
            "COPY hardware_incidents (tenant_id, id, title, cause, opened_automatically,"
            " opened_at, closed_at, version, site_id) FROM STDIN"
        ) as copy:
            copy.write_row(
                (
                    tenants[MURUNG_RAYA][0],
                    uuid.uuid4(),
                    "Server perekaman tersambar petir",
                    "lightning",
                    True,
                    strike,
                    None,
                    1,
                    site[0] if site else None,
                )
            )
            for code in SET_DOWN:
                copy.write_row(
                    (
                        tenants[code][0],
                        uuid.uuid4(),
                        "Set rekam 2 mati",
                        "hardware_fault",
                        True,
                        now - timedelta(days=rng.randint(1, 12)),
                        None,
                        1,
                        None,
                    )
                )
            for code in rng.sample(sorted(tenants), 60):  # closed outages of the last 90 days
                opened = now - timedelta(days=rng.randint(5, 88), hours=rng.randint(0, 23))
                copy.write_row(
                    (
                        tenants[code][0],
                        uuid.uuid4(),
                        "Listrik padam",
                        "power",
                        True,
                        opened,
                        opened + timedelta(hours=rng.randint(2, 96)),
                        1,
                        None,
                    )
                )
        with conn.cursor().copy(
            "COPY hardware_summaries (tenant_id, working_sets, total_sets,"
            " recording_stopped_since, devices_down, open_incidents, oldest_incident_title,"
            " oldest_incident_cause, oldest_incident_opened_at, uptime_30_days, uptime_as_of,"
            " last_event_at, updated_at) FROM STDIN"
        ) as copy:
            for code, (tenant_id, _kecamatan) in tenants.items():
                total = rng.randint(4, 30)
                if code == MURUNG_RAYA:
                    row = (
                        0,
                        total,
                        strike,
                        total * 5,
                        1,
                        "Server perekaman tersambar petir",
                        "lightning",
                        strike,
                        0.28,
                    )
                elif code in SET_DOWN:
                    row = (
                        total - 1,
                        total,
                        None,
                        5,
                        1,
                        "Set rekam 2 mati",
                        "hardware_fault",
                        now - timedelta(days=3),
                        0.93,
                    )
                else:
                    row = (total, total, None, 0, 0, None, None, None, rng.uniform(0.97, 1.0))
                copy.write_row((tenant_id, *row, now, now, now))
        if SILENT:  # silent regencies: their devices stopped beating two days ago
            conn.execute(
                "UPDATE hardware_devices SET last_beat_at = %s WHERE tenant_id = ANY(%s)",
                (now - timedelta(days=2), [tenants[c][0] for c in SILENT]),
            )
        conn.commit()


def finish_stock(database: BenchDatabase, tenants: dict[str, tuple[uuid.UUID, list[str]]]) -> None:
    """Per-day stock from the ledger (as migration 0010 does) and the stock-outs."""
    now = datetime.now(UTC)
    with _connect(database) as conn:
        conn.execute(
            "INSERT INTO stock_days (tenant_id, item, day, net, consumed, spoiled)"
            " SELECT tenant_id, item, business_date, sum(quantity),"
            " sum(CASE WHEN kind = 'consumption' THEN -quantity ELSE 0 END),"
            " sum(CASE WHEN kind = 'spoilage' THEN -quantity ELSE 0 END)"
            " FROM stock_ledger GROUP BY tenant_id, item, business_date"
        )
        for code in OUT_OF_STOCK:
            conn.execute(
                "UPDATE stock_balances SET on_hand = 0, out_since = %s WHERE tenant_id = %s",
                (now - timedelta(days=30), tenants[code][0]),
            )
        conn.execute("ANALYZE")
        conn.commit()


def generate(database: BenchDatabase) -> dict[str, tuple[uuid.UUID, list[str]]]:
    import asyncio

    started = time.perf_counter()
    tenants = asyncio.run(applications_bench.prepare(database))
    applications_bench.load(database, tenants)
    print(f"applications loaded at {time.perf_counter() - started:.0f} s", flush=True)
    ids = [t for t, _k in tenants.values()]
    heartbeats_bench.load_devices(database, ids)
    load_hardware(database, tenants)
    print(f"hardware loaded at {time.perf_counter() - started:.0f} s", flush=True)
    stock_bench.load(database, ids)
    finish_stock(database, tenants)
    print(f"stock loaded at {time.perf_counter() - started:.0f} s", flush=True)
    load_letters(database, tenants)
    with _connect(database) as conn:
        conn.execute("ANALYZE")
        conn.commit()
    print(f"letters loaded at {time.perf_counter() - started:.0f} s", flush=True)
    return tenants
