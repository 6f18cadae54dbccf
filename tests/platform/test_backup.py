"""`siaga backup` / `siaga restore` on both databases: dump, lose the database, restore into an
empty one; the rows are all there, the app's own role reads them through row-level security,
a NIK still decrypts and is still found by its search hash. A backup is never overwritten."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from siaga_platform.applications.models import Application, ApplicationEvent
from siaga_platform.applications.service import decrypt_nik
from siaga_platform.audit.models import AuditEvent
from siaga_platform.db.backup import BackupFailed, backup, restore
from siaga_platform.db.engine import create_engine
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import create_session_factory
from tests.fixtures.applications import CIPHER, nik_for, operator, register
from tests.fixtures.databases import APP, OWNER, DatabaseTemplates, ScratchDatabase
from tests.fixtures.seed import seed

COUNTED = (Application, ApplicationEvent, AuditEvent)
BACKUP = ("siaga_backup", "siaga_backup")


async def _counts(url: str, tenant: uuid.UUID) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            await enter_scope(session, TenantScope.single(tenant))
            return {
                model.__tablename__: int(
                    await session.scalar(select(func.count()).select_from(model)) or 0
                )
                for model in COUNTED
            }
    finally:
        await engine.dispose()


async def _find_by_nik(url: str, tenant: uuid.UUID, nik: str) -> str:
    """The application of ``nik`` found by its search hash, its NIK decrypted."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            await enter_scope(session, TenantScope.single(tenant))
            wanted = CIPHER.search_hash(nik, tenant_id=tenant, field="nik")
            found = await session.scalar(select(Application).where(Application.nik_hash == wanted))
            assert found is not None
            return decrypt_nik(CIPHER, found)
    finally:
        await engine.dispose()


async def test_a_backup_restores_into_an_empty_database(
    db: ScratchDatabase, templates: DatabaseTemplates, tmp_path: Path
) -> None:
    await seed(db)
    who = await operator(db)
    tenant = who.tenant_id
    assert tenant is not None
    niks = [nik_for(serial) for serial in range(1, 4)]
    for nik in niks:
        await register(db, who, nik)
    before = await _counts(db.app_url, tenant)
    assert before["applications"] == 3

    dump = tmp_path / "siaga.backup"
    await db.dispose()
    # On PostgreSQL the dump reads as siaga_backup (past row-level security, read only).
    reader = templates.pg_url(db.name, BACKUP) if db.is_postgres else db.owner_url
    written = backup(reader, dump)
    assert written.size_bytes > 0
    with pytest.raises(BackupFailed, match="sudah ada"):
        backup(reader, dump)  # never overwritten

    if db.is_postgres:
        # The database is lost; a new, empty one is made as bootstrap.sql leaves it.
        fresh = templates.create_empty_pg_database()
        owner_url, app_url = templates.pg_url(fresh, OWNER), templates.pg_url(fresh, APP)
    else:
        Path(db.name).unlink()  # noqa: ASYNC240 - a test's file
        owner_url = app_url = db.app_url
    restore(owner_url, dump)

    assert await _counts(app_url, tenant) == before  # as the app's role, through RLS
    assert await _find_by_nik(app_url, tenant, niks[1]) == niks[1]
    with pytest.raises(BackupFailed):
        restore(owner_url, dump)  # not over a database that holds data
