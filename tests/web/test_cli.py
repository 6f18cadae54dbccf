"""The command line against real databases: upgrade twice, provision, seed, and failures that
end in one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.memberships.models import Membership, User
from siaga_tenants.registry.models import Tenant
from tests.fixtures.databases import ScratchDatabase


def siaga(
    *args: str, database_url: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    if database_url:
        env["SIAGA_DATABASE_URL"] = database_url
        env["SIAGA_MIGRATION_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "siaga_web.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


async def _counts(db: ScratchDatabase) -> tuple[int, int, int]:
    async with unit_of_work(db.session_factory) as session:
        return (
            await session.scalar(select(func.count()).select_from(Tenant)) or 0,
            await session.scalar(select(func.count()).select_from(User)) or 0,
            await session.scalar(select(func.count()).select_from(Membership)) or 0,
        )


async def test_db_upgrade_on_a_fresh_sqlite_file_then_again_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'siaga.db'}"
    first = siaga("db", "upgrade", database_url=url)
    assert first.returncode == 0, first.stderr
    assert "38 provinsi, 514 kabupaten/kota, 7285 kecamatan" in first.stdout
    second = siaga("db", "upgrade", database_url=url)
    assert second.returncode == 0, second.stderr
    assert "0 provinsi, 0 kabupaten/kota, 0 kecamatan" in second.stdout


async def test_demo_seed_twice_gives_the_same_counts(db: ScratchDatabase) -> None:
    url = db.app_url
    first = siaga("demo", "seed", database_url=url)
    assert first.returncode == 0, first.stderr
    after_first = await _counts(db)
    second = siaga("demo", "seed", database_url=url)
    assert second.returncode == 0, second.stderr
    assert await _counts(db) == after_first
    assert after_first == (14, 30, 30)
    assert "Supervisor Kalimantan Tengah" in second.stdout


async def test_provision_any_code_and_refuse_unknown_ones(db: ScratchDatabase) -> None:
    made = siaga("tenants", "provision", "94.01", database_url=db.app_url)
    assert made.returncode == 0, made.stderr
    assert "WIT" in made.stdout and "dibuat" in made.stdout
    again = siaga("tenants", "provision", "9401", database_url=db.app_url)
    assert "sudah ada" in again.stdout
    unknown = siaga("tenants", "provision", "99.99", database_url=db.app_url)
    assert unknown.returncode == 1
    assert "99.99 tidak ada dalam daftar kode Kemendagri" in unknown.stderr
    assert unknown.stderr.strip().count("\n") == 0
    garbled = siaga("tenants", "provision", "Murung Raya", database_url=db.app_url)
    assert garbled.returncode == 1 and "tulis seperti 62.12" in garbled.stderr


@pytest.mark.parametrize("command", [["db", "upgrade"], ["serve"], ["demo", "seed"]])
def test_unreachable_database_gives_one_clear_line(command: list[str]) -> None:
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    result = siaga(*command, database_url="postgresql+psycopg://siaga_web@127.0.0.1:9/siaga")
    assert result.returncode == 1
    assert "database tidak dapat dihubungi" in result.stderr
    assert "SIAGA_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_serve_on_an_unmigrated_database_says_what_to_run(tmp_path: Path) -> None:
    result = siaga("serve", database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert result.returncode == 1
    assert "siaga db upgrade" in result.stderr
