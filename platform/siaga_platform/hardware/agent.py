"""The device agent (``siaga agent --config agent.toml``), run on a recording PC.

It checks what it can locally (the PC itself answers, disk free, peripherals through
configurable commands), sends a heartbeat every interval, retries with backoff, and keeps
unsent heartbeats in an on-disk queue while the network is down, delivering them later with
their original times.

agent.toml:
    server_url = "https://siaga.example.go.id"
    token = "…"                      # shown once when the device was registered
    interval_seconds = 60
    queue_file = "/var/lib/siaga-agent/queue.jsonl"
    disk_path = "/"
    [checks]                         # optional: name = command; exit 0 = ok
    camera = "lsusb -d 1234:5678"
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

MAX_BATCH = 500


@dataclass
class AgentConfig:
    server_url: str
    token: str
    interval_seconds: int = 60
    queue_file: Path = Path("siaga-agent-queue.jsonl")
    disk_path: str = "/"
    checks: dict[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0

    @classmethod
    def load(cls, path: Path) -> AgentConfig:
        data = tomllib.loads(path.read_text("utf-8"))
        return cls(
            server_url=data["server_url"].rstrip("/"),
            token=data["token"],
            interval_seconds=int(data.get("interval_seconds", 60)),
            queue_file=Path(data.get("queue_file", "siaga-agent-queue.jsonl")),
            disk_path=data.get("disk_path", "/"),
            checks=dict(data.get("checks", {})),
        )


class Agent:
    def __init__(self, config: AgentConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout_seconds)
        self.failures = 0

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

    def _queued(self) -> list[dict[str, Any]]:
        if not self.config.queue_file.exists():
            return []
        lines = self.config.queue_file.read_text("utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def _enqueue(self, beat: dict[str, Any]) -> None:
        self.config.queue_file.parent.mkdir(parents=True, exist_ok=True)
        with self.config.queue_file.open("a", encoding="utf-8") as queue:
            queue.write(json.dumps(beat) + "\n")

    def run_once(self) -> bool:
        """Check, queue, try to deliver everything queued. True when the queue is empty."""
        self._enqueue(self.check())
        pending = self._queued()
        while pending:
            batch = pending[:MAX_BATCH]
            body = {"heartbeats": [{**beat, "device_token": self.config.token} for beat in batch]}
            try:
                answer = self.client.post(
                    f"{self.config.server_url}/api/v1/heartbeats/batch", json=body
                )
            except httpx.HTTPError:
                self.failures += 1
                return False
            if answer.status_code == 401:
                raise SystemExit("siaga agent: token ditolak server (dicabut?). Minta token baru.")
            if answer.status_code >= 500:
                self.failures += 1
                return False
            # Delivered (or refused as malformed/too old: keeping those would block the queue).
            pending = pending[MAX_BATCH:]
            self._rewrite(pending)
        self.failures = 0
        return True

    def _rewrite(self, pending: list[dict[str, Any]]) -> None:
        temporary = self.config.queue_file.with_suffix(".tmp")
        temporary.write_text("".join(json.dumps(b) + "\n" for b in pending), "utf-8")
        temporary.replace(self.config.queue_file)  # atomic: a crash never loses the queue

    def backoff_seconds(self) -> float:
        """Retry sooner than the interval at first, never later than it."""
        if not self.failures:
            return float(self.config.interval_seconds)
        return float(min(self.config.interval_seconds, 5 * 2 ** min(self.failures, 6)))

    def run_forever(self) -> None:
        while True:
            self.run_once()
            time.sleep(self.backoff_seconds())
