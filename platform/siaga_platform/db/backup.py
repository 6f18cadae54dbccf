"""Backup and restore of the whole database (`siaga backup`, `siaga restore`).

PostgreSQL: ``pg_dump --format=custom`` as the schema owner (tables, row-level security
policies, grants to the app's role, the job queue), restored by ``pg_restore`` in one
transaction into an empty database of a cluster bootstrapped like the first
(``infra/postgres/bootstrap.sql``: the roles must exist). SQLite (development): SQLite's own
online backup, then a file copy back.

A backup holds personal data only encrypted; it is useless without ``SIAGA_FIELD_KEYS`` and
``SIAGA_SEARCH_KEY``, which are kept (escrowed) apart from it: see the README.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupFailed(RuntimeError):
    """The one line to show: what went wrong and what to do."""


@dataclass(frozen=True, slots=True)
class Done:
    path: Path
    size_bytes: int


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` on the PATH, else the newest of Debian's server packages."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise BackupFailed(f"{name} tidak ditemukan: pasang paket postgresql-client.")
    return candidates[-1]


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it, the password moved to the environment (not argv)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupFailed("SIAGA_DATABASE_URL SQLite tidak menyebut berkas.")
    return Path(database)


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(tanpa pesan)"])[-1]
        raise BackupFailed(f"{what} gagal: {last}")


def backup(url: str, target: Path) -> Done:
    if target.exists():
        raise BackupFailed(f"{target} sudah ada: pilih nama berkas baru (cadangan tidak ditimpa).")
    target.parent.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # consistent while the app writes
        finally:
            copy.close()
            source.close()
    else:
        conninfo, env = _libpq(url)
        _run(
            [pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}", conninfo],
            env,
            "pg_dump",
        )
    return Done(target, target.stat().st_size)


def restore(url: str, source: Path, *, replace: bool = False) -> Done:
    """Into an empty database (or over the existing one with ``replace``), all or nothing."""
    if not source.is_file():
        raise BackupFailed(f"{source} tidak ditemukan.")
    if make_url(url).get_backend_name() == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and not replace:
            raise BackupFailed(f"{target} sudah ada: pakai --replace untuk menimpanya.")
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_suffix(".restoring")
        shutil.copyfile(source, staged)
        staged.replace(target)  # atomic: the old file or the new one, never half
        return Done(target, target.stat().st_size)
    conninfo, env = _libpq(url)
    command = [
        pg_tool("pg_restore"),
        "--no-password",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",  # objects belong to whoever restores: the schema owner
        f"--dbname={conninfo}",
    ]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, str(source)], env, "pg_restore")
    return Done(source, source.stat().st_size)
