"""One Alembic history for both databases: upgrade → check → downgrade → upgrade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from siaga_platform.db.engine import sync_url
from tests.fixtures.databases import OWNER, DatabaseTemplates, alembic_config, service_missing


def _empty_database(backend: str, templates: DatabaseTemplates, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    if not templates.postgres_available:
        service_missing("PostgreSQL (make test starts a throwaway cluster)")
    return templates.pg_url(templates.create_empty_pg_database(), OWNER)


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(
    backend: str, templates: DatabaseTemplates, tmp_path: Path
) -> None:
    url = _empty_database(backend, templates, tmp_path)
    config = alembic_config(url)
    command.upgrade(config, "head")
    assert {"tenants", "memberships", "audit_events", "tenant_settings"} <= _tables(url)
    command.check(config)  # raises if the models and the migrations disagree
    command.upgrade(config, "head")  # a second upgrade is a no-op
    command.downgrade(config, "base")
    assert _tables(url) <= {"alembic_version"}
    command.upgrade(config, "head")
    command.check(config)
    head = ScriptDirectory.from_config(config).get_current_head()
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        assert connection.scalar(text("select version_num from alembic_version")) == head
        if backend == "postgresql":
            policies = connection.scalar(
                text(
                    "select count(*) from pg_policies where tablename in"
                    " ('audit_events', 'tenant_settings')"
                )
            )
            assert policies == 8
    engine.dispose()


def test_migration_files_are_date_prefixed() -> None:
    versions = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names and all(n[:4].isdigit() and n[4] == "_" for n in names)
