"""The device agent (``siaga agent --config agent.toml``), run on a recording PC.

It checks what it can locally (the PC itself answers, disk free, peripherals through
configurable commands), queues a heartbeat every interval in an on-disk SQLite queue
(``agent_queue``: survives power cuts, bounded, oldest dropped when full) and delivers the queue
with the beats' original times. It never loses a beat to an answer it does not understand:

- only a 2xx carrying Siaga's answer removes beats from the queue; beats the server refused one
  by one (``refused``: too old, bad readings) are moved to the kept-aside table and logged;
- 3xx (a proxy's redirect to https: fix ``server_url``), 408, 429 and 5xx keep the queue and
  retry with jittered exponential backoff, honouring ``Retry-After``;
- 400, 413 and 422 halve the batch until the beat at fault is alone; that beat, and any
  batch refused with another 4xx, is kept aside and logged as an error (``siaga agent
  --requeue-kept-aside`` sends those again);
- 401 (token revoked) stops the agent with the queue intact.

agent.toml:
    server_url = "https://siaga.example.go.id"
    token = "…"                      # shown once when the device was registered
    interval_seconds = 60
    queue_file = "/var/lib/siaga-agent/queue.sqlite3"   # an old queue.jsonl is imported once
    max_queued_beats = 100000        # when full, the OLDEST beats are dropped (logged)
    disk_path = "/"
    [checks]                         # optional: name = command; exit 0 = ok
    camera = "lsusb -d 1234:5678"
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import socket
import subprocess
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from siaga_platform.hardware.agent_queue import MAX_QUEUED, BeatQueue, QueuedBeat

log = logging.getLogger("siaga.agent")

MAX_BATCH = 500  # the server's limit per batch
MAX_RETRY_AFTER = 3600.0  # a Retry-After beyond an hour is read as an hour
#: Answers that say "not now" (the beats are fine): the queue is kept and retried.
RETRY_STATUSES = frozenset({408, 425, 429})
#: Answers about the batch's content: it is split until a single beat is refused alone.
SPLIT_STATUSES = frozenset({400, 413, 422})


@dataclass
class AgentConfig:
    server_url: str
    token: str
    interval_seconds: int = 60
    queue_file: Path = Path("siaga-agent-queue.sqlite3")
    disk_path: str = "/"
    checks: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0
    max_queued_beats: int = MAX_QUEUED

    @classmethod
    def load(cls, path: Path) -> AgentConfig:
        data = tomllib.loads(path.read_text("utf-8"))
        return cls(
            server_url=data["server_url"].rstrip("/"),
            token=data["token"],
            interval_seconds=int(data.get("interval_seconds", 60)),
            queue_file=Path(data.get("queue_file", "siaga-agent-queue.sqlite3")),
            disk_path=data.get("disk_path", "/"),
            checks=dict(data.get("checks", {})),
            max_queued_beats=int(data.get("max_queued_beats", MAX_QUEUED)),
        )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Agent:
    def __init__(self, config: AgentConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout_seconds)
        self.queue = BeatQueue.open(config.queue_file, max_beats=config.max_queued_beats)
        self.failures = 0
        self.retry_after: float | None = None
        self.batch_size = MAX_BATCH

    def check(self) -> dict[str, Any]:
        """One local check, as a heartbeat."""
        usage = shutil.disk_usage(self.config.disk_path)
        readings: dict[str, Any] = {
            "host": socket.gethostname(),
            "disk_free_gb": round(usage.free / 1e9, 1),
        }
        status = "ok" if usage.free / usage.total > 0.05 else "degraded"
        for name, command in self.config.checks.items():
            try:
                passed = (
                    subprocess.run(  # noqa: S602 - the operator's own configured command
                        command, shell=True, capture_output=True, timeout=10, check=False
                    ).returncode
                    == 0
                )
            except subprocess.TimeoutExpired:
                passed = False
            readings[f"check_{name}"] = "ok" if passed else "failed"
            if not passed:
                status = "degraded"
        return {"taken_at": datetime.now(UTC).isoformat(), "status": status, "readings": readings}

    def run_once(self) -> bool:
        """Check, queue, try to deliver everything queued. True when the queue is empty."""
        self.queue.put(self.check())
        return self.deliver()

    def deliver(self) -> bool:
        """Sends the queue, oldest first, until it is empty (True) or the server cannot take
        more now (False: try again after ``backoff_seconds``)."""
        while batch := self.queue.peek(self.batch_size):
            answer = self._send(batch)
            if answer is None:
                return False
            status = answer.status_code
            if 200 <= status < 300:
                if not self._settle(batch, answer):
                    return False
            elif status == 401:
                raise SystemExit("siaga agent: token ditolak server (dicabut?). Minta token baru.")
            elif status in SPLIT_STATUSES and len(batch) > 1:
                # Too large for a proxy, or one malformed beat refusing the batch: halve it
                # until the culprit is alone (and kept aside), the rest delivered.
                self.batch_size = max(1, len(batch) // 2)
            elif 300 <= status < 400 or status in RETRY_STATUSES or status >= 500:
                if 300 <= status < 400:
                    log.warning(
                        "server menjawab %d (pengalihan ke %s): perbaiki server_url; "
                        "antrean disimpan",
                        status,
                        answer.headers.get("location", "?"),
                    )
                self._failed(f"HTTP {status}", answer.headers.get("retry-after"))
                return False
            else:
                reason = f"HTTP {status}: {answer.text[:300]}"
                log.error(
                    "server menolak %d denyut (%s): DISISIHKAN, tidak dibuang; kirim ulang dengan "
                    "`siaga agent --requeue-kept-aside` setelah penyebabnya diperbaiki",
                    len(batch),
                    reason,
                )
                self.queue.settle([], [(b.id, reason) for b in batch], http_status=status)
        self.failures = 0
        self.retry_after = None
        self.batch_size = MAX_BATCH
        return True

    def _send(self, batch: list[QueuedBeat]) -> httpx.Response | None:
        # The queued JSON is sent as it is (each beat with the current token added), so a beat
        # the server must refuse (e.g. a NaN reading) is refused by it, by name, not by us.
        token = json.dumps(self.config.token)
        items = ",".join(f'{{"device_token":{token},{b.beat.strip()[1:]}' for b in batch)
        try:
            return self.client.post(
                f"{self.config.server_url}/api/v1/heartbeats/batch",
                content=f'{{"heartbeats":[{items}]}}'.encode(),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as error:
            self._failed(f"{type(error).__name__}: {error}", None)
            return None

    def _settle(self, batch: list[QueuedBeat], answer: httpx.Response) -> bool:
        """The beats of a 2xx answer: taken or duplicates leave the queue, refused ones are kept
        aside. A 2xx that is not Siaga's answer (a captive portal's page) removes nothing."""
        try:
            body = answer.json()
            accepted = int(body["accepted"])
            refused = {int(r["index"]): str(r.get("reason", "")) for r in body.get("refused", [])}
        except (ValueError, KeyError, TypeError):
            self._failed(f"HTTP {answer.status_code} tanpa jawaban Siaga", None)
            return False
        kept = [(b.id, refused[i]) for i, b in enumerate(batch) if i in refused]
        if kept:
            log.error(
                "server menolak %d denyut (mis. %s): DISISIHKAN, tidak dikirim ulang",
                len(kept),
                kept[0][1],
            )
        self.queue.settle([b.id for i, b in enumerate(batch) if i not in refused], kept)
        log.debug("terkirim: %d baru, %d ditolak", accepted, len(kept))
        return True

    def _failed(self, why: str, retry_after: str | None) -> None:
        self.failures += 1
        self.retry_after = retry_after_seconds(retry_after)
        log.warning("pengiriman gagal (%s): %d denyut tetap di antrean", why, len(self.queue))

    def backoff_seconds(self) -> float:
        """After a failure: exponential from 5 s, capped at the interval, jittered (half to all
        of it: agents cut off together do not come back together), and never sooner than the
        server's ``Retry-After`` (read up to an hour)."""
        if not self.failures:
            return float(self.config.interval_seconds)
        ceiling = float(min(self.config.interval_seconds, 5 * 2 ** min(self.failures, 6)))
        wait = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret
        if self.retry_after is not None:
            wait = max(wait, min(self.retry_after, MAX_RETRY_AFTER))
        return wait

    def run_forever(self) -> None:
        """A check every interval, whatever the network does; deliveries when due."""
        next_check = next_attempt = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_check:
                self.queue.put(self.check())
                next_check = now + self.config.interval_seconds
            if now >= next_attempt:
                # Delivered: the next attempt comes with the next check.
                next_attempt = next_check if self.deliver() else now + self.backoff_seconds()
            time.sleep(max(0.5, min(next_check, next_attempt) - time.monotonic()))
