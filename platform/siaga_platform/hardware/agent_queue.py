"""The device agent's on-disk queue: a SQLite file, so a power cut mid-write loses at most the
beat being written, never the queue (each enqueue is its own committed transaction, in WAL
mode with ``synchronous=FULL``; the old JSONL queue was rewritten whole after each delivery).

Policy when full: at most ``max_beats`` beats wait (100,000 by default: about 70 days of one
beat a minute, ten times longer than the server still accepts them). A new beat always goes
in; the OLDEST are dropped to make room and the drop is logged with its count, because old
beats are the first the server would refuse anyway (older than 7 days).

Beats the server refused (too old, bad readings) or that a proxy refused with a 4xx are moved
to a table of beats *kept aside*, with the reason: they are never sent again on their own (that
would block the queue forever) but they are not deleted either; ``requeue_kept_aside`` puts
them back (``siaga agent --requeue-kept-aside``) once the cause is fixed. The kept-aside table
has the same bound and policy.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("siaga.agent")

MAX_QUEUED = 100_000
TORN_LINE = "baris antrean lama rusak (bukan denyut JSON)"

SCHEMA = """
CREATE TABLE IF NOT EXISTS queued (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    beat TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kept_aside (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    beat TEXT NOT NULL,
    reason TEXT NOT NULL,
    http_status INTEGER,
    kept_at TEXT NOT NULL
);
"""


def _is_beat(text: str) -> bool:
    try:
        beat = json.loads(text)
    except ValueError:
        return False
    return isinstance(beat, dict) and bool(beat)


@dataclass(frozen=True, slots=True)
class QueuedBeat:
    id: int
    #: The beat as JSON text (without the token: it is added when sent).
    beat: str


@dataclass(frozen=True, slots=True)
class KeptAside:
    id: int
    beat: str
    reason: str
    http_status: int | None


class BeatQueue:
    def __init__(self, path: Path, *, max_beats: int = MAX_QUEUED) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_beats = max_beats
        # Autocommit mode: every transaction below is an explicit BEGIN IMMEDIATE … COMMIT.
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a committed beat survives a power cut
        self._db.executescript(SCHEMA)

    @classmethod
    def open(cls, configured: Path, *, max_beats: int = MAX_QUEUED) -> BeatQueue:
        """The queue at ``configured``; an old JSONL queue (the configured file itself when it
        still ends in ``.jsonl``, or the same name with ``.jsonl``) is imported once."""
        if configured.suffix == ".jsonl":
            legacy, path = configured, configured.with_suffix(".sqlite3")
        else:
            legacy, path = configured.with_suffix(".jsonl"), configured
        queue = cls(path, max_beats=max_beats)
        if legacy.exists():
            queue.import_jsonl(legacy)
        return queue

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _trim(self, table: str) -> int:
        """Drops the oldest rows over the bound (inside the caller's transaction)."""
        count = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        over = count - self.max_beats
        if over > 0:
            self._db.execute(
                f"DELETE FROM {table} WHERE id IN"  # noqa: S608 - our own table names
                f" (SELECT id FROM {table} ORDER BY id LIMIT ?)",
                (over,),
            )
        return int(max(over, 0))

    def put(self, beat: dict[str, Any]) -> int:
        """Queues one beat in its own transaction; returns how many old beats were dropped."""
        if not beat:
            raise ValueError("an empty heartbeat")  # sent as an object with its token added
        with self._transaction() as db:
            db.execute("INSERT INTO queued (beat) VALUES (?)", (json.dumps(beat),))
            dropped = self._trim("queued")
        if dropped:
            log.warning(
                "antrean agen penuh (%d denyut): %d denyut TERTUA dibuang",
                self.max_beats,
                dropped,
            )
        return dropped

    def peek(self, limit: int) -> list[QueuedBeat]:
        rows = self._db.execute("SELECT id, beat FROM queued ORDER BY id LIMIT ?", (limit,))
        return [QueuedBeat(*row) for row in rows]

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM queued").fetchone()[0])

    def settle(
        self,
        delivered: Sequence[int],
        refused: Sequence[tuple[int, str]] = (),
        *,
        http_status: int | None = None,
    ) -> None:
        """In one transaction: the delivered beats leave the queue, the refused ones (id,
        reason) move to the kept-aside table."""
        now = datetime.now(UTC).isoformat()
        with self._transaction() as db:
            for beat_id, reason in refused:
                db.execute(
                    "INSERT INTO kept_aside (beat, reason, http_status, kept_at)"
                    " SELECT beat, ?, ?, ? FROM queued WHERE id = ?",
                    (reason, http_status, now, beat_id),
                )
            gone = [*delivered, *(beat_id for beat_id, _ in refused)]
            db.executemany("DELETE FROM queued WHERE id = ?", [(i,) for i in gone])
            dropped = self._trim("kept_aside")
        if dropped:
            log.warning("denyut yang disisihkan melebihi batas: %d yang tertua dibuang", dropped)

    def kept_aside(self) -> list[KeptAside]:
        rows = self._db.execute("SELECT id, beat, reason, http_status FROM kept_aside ORDER BY id")
        return [KeptAside(*row) for row in rows]

    def requeue_kept_aside(self) -> int:
        """Puts the kept-aside beats back at the end of the queue (after the cause is fixed);
        a line that is no beat at all (torn) stays aside."""
        with self._transaction() as db:
            rows = db.execute("SELECT id, beat FROM kept_aside ORDER BY id").fetchall()
            beats = [(i, beat) for i, beat in rows if _is_beat(beat)]
            db.executemany("INSERT INTO queued (beat) VALUES (?)", [(b,) for _, b in beats])
            db.executemany("DELETE FROM kept_aside WHERE id = ?", [(i,) for i, _ in beats])
            self._trim("queued")
        return len(beats)

    def import_jsonl(self, legacy: Path) -> int:
        """Imports the old JSONL queue in one transaction, then renames it (``.imported``).
        A crash between the two imports it again on the next start: harmless, the server takes
        each beat once. A line that is not JSON (torn by a power cut) is kept aside."""
        beats: list[str] = []
        torn: list[str] = []
        for line in legacy.read_text("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            if _is_beat(line):
                beats.append(json.dumps(json.loads(line)))
            else:
                torn.append(line)
        now = datetime.now(UTC).isoformat()
        with self._transaction() as db:
            db.executemany("INSERT INTO queued (beat) VALUES (?)", [(b,) for b in beats])
            db.executemany(
                "INSERT INTO kept_aside (beat, reason, http_status, kept_at) VALUES (?, ?, ?, ?)",
                [
                    (line, "baris antrean lama rusak (bukan denyut JSON)", None, now)
                    for line in torn
                ],
            )
            self._trim("queued")
        legacy.replace(legacy.with_name(legacy.name + ".imported"))
        log.info("antrean lama %s diimpor: %d denyut", legacy, len(beats))
        if torn:
            log.error("antrean lama: %d baris rusak disisihkan", len(torn))
        return len(beats)
