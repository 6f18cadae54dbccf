"""Backing the whole database up and restoring it."""

from __future__ import annotations

from pathlib import Path

import typer

from siaga_web.cli.common import (
    fail,
    load_settings,
)


def backup(
    target: Path = typer.Argument(..., help="The backup file to write (never overwritten)."),
) -> None:
    """Back up the whole database (pg_dump as the schema owner; SQLite's online backup)."""
    from siaga_platform.db.backup import BackupFailed
    from siaga_platform.db.backup import backup as run_backup

    settings = load_settings()
    try:
        url = (
            settings.backup_database_url or settings.migration_database_url or settings.database_url
        )
        done = run_backup(url, target)
    except BackupFailed as error:
        fail(str(error))
    typer.echo(
        f"Cadangan tersimpan: {done.path} ({done.size_bytes / 1e6:.1f} MB). Simpan kunci "
        "SIAGA_FIELD_KEYS dan SIAGA_SEARCH_KEY terpisah: tanpa keduanya data pribadi tak terbaca."
    )


def restore(
    source: Path = typer.Argument(..., help="A file written by `siaga backup`."),
    replace: bool = typer.Option(False, help="Replace what the database holds now."),
) -> None:
    """Restore a backup into an empty database (all or nothing), then `siaga serve`."""
    from siaga_platform.db.backup import BackupFailed
    from siaga_platform.db.backup import restore as run_restore

    settings = load_settings()
    try:
        run_restore(
            settings.migration_database_url or settings.database_url, source, replace=replace
        )
    except BackupFailed as error:
        fail(str(error))
    typer.echo(f"Dipulihkan dari {source}. Jalankan `siaga db upgrade` bila kodenya lebih baru.")
