"""Operating Siaga: /metrics hidden unless allowed, with request latency by route template and
heartbeat outcomes (and the job queue on PostgreSQL); /readyz reports the migration head and
the worker, and refuses a database behind this code (as `siaga serve` does); JSON log lines
with the request id and the access fields, scrubbed; secrets read from files; a migration gives
up on a busy table's lock instead of queueing every request behind it."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from siaga_platform.config import read_settings
from siaga_platform.db.engine import sync_url
from siaga_platform.jobs import queue
from siaga_platform.jobs.tasks import HARDWARE_SWEEP
from siaga_platform.observability.logging import JsonFormatter
from siaga_platform.observability.request_context import reset_request_id, set_request_id
from siaga_web.schema_state import head_revision
from tests.fixtures.databases import ScratchDatabase, alembic_config
from tests.fixtures.hardware import office_server
from tests.fixtures.web import build_app, client_for

TOKEN = "rahasia-pengikis-metrik-0123456789abcdef"
NIK = "6212011501900001"


def _sample(body: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus text (0 when absent)."""
    for line in body.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_are_hidden_unless_allowed(db: ScratchDatabase) -> None:
    async with client_for(build_app(db)) as client:
        assert (await client.get("/metrics")).status_code == 404
    async with client_for(build_app(db, metrics_token=TOKEN)) as client:
        assert (await client.get("/metrics")).status_code == 404
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer salah"})
        assert wrong.status_code == 404
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200 and "text/plain" in right.headers["content-type"]
    async with client_for(build_app(db, metrics_public=True)) as client:
        assert (await client.get("/metrics")).status_code == 200


async def test_metrics_count_requests_by_route_and_heartbeats_by_outcome(
    db: ScratchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="siaga.access")
    _who, _device, token, _site = await office_server(db)
    app = build_app(db, metrics_public=True)
    async with client_for(app) as client:
        before = (await client.get("/metrics")).text
        beat = {"taken_at": datetime.now(UTC).isoformat(), "status": "ok"}
        for _ in range(2):  # the same beat twice: one accepted, one duplicate
            sent = await client.post(
                "/api/v1/heartbeats", json=beat, headers={"X-Device-Token": token}
            )
            assert sent.status_code == 202
        refused = await client.post(
            "/api/v1/heartbeats", json=beat, headers={"X-Device-Token": "bukan-token"}
        )
        assert refused.status_code == 401
        await client.get("/wilayah/62.12/tidak-ada-halaman-ini")
        after = (await client.get("/metrics")).text

    def grew(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert grew("siaga_heartbeats_total", outcome="accepted") == 1
    assert grew("siaga_heartbeats_total", outcome="duplicate") == 1
    assert grew("siaga_heartbeats_total", outcome="refused") == 1
    count = "siaga_http_request_duration_seconds_count"
    assert grew(count, route="/api/v1/heartbeats", status="202") == 2
    assert grew(count, route="/api/v1/heartbeats", status="401") == 1
    # Accepted beats are counted, not logged one by one; the refusal has its line.
    beat_lines = [r for r in caplog.records if getattr(r, "route", "") == "/api/v1/heartbeats"]
    assert [r.status for r in beat_lines] == [401]  # type: ignore[attr-defined]
    # A path no route matched is one series, not one per path.
    assert "tidak-ada-halaman-ini" not in after
    assert grew(count, route="unmatched", status="404") >= 1


@pytest.mark.postgres_only
async def test_metrics_show_the_job_queue_and_readyz_a_live_worker(db: ScratchDatabase) -> None:
    jobs = queue.job_app(db.app_url)
    app = build_app(db, metrics_public=True)
    async with jobs.open_async(), client_for(app) as client:
        await jobs.configure_task(HARDWARE_SWEEP).defer_async(timestamp=int(time.time()))
        scraped = (await client.get("/metrics")).text
        assert _sample(scraped, "siaga_jobs", task=HARDWARE_SWEEP, status="todo") == 1
        ready = (await client.get("/readyz")).json()
        assert ready["worker"] == "down"  # no worker has ever beaten
        # A worker's heartbeat row, as procrastinate writes it every 10 s while it runs.
        engine = create_engine(sync_url(db.owner_url))
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
        engine.dispose()
        assert (await client.get("/readyz")).json()["worker"] == "alive"


async def test_readyz_reports_the_migration_head_and_refuses_a_database_behind(
    db: ScratchDatabase,
) -> None:
    async with client_for(build_app(db)) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["migration"] == {
            "current": head_revision(),
            "head": head_revision(),
            "state": "current",
        }
        assert body["worker"] in {"down", "in-process"}
        # The database one migration behind this code (a deploy that skipped the step).
        engine = create_engine(sync_url(db.owner_url))
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0017'"))
        engine.dispose()
        behind = await client.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["migration"]["state"] == "behind"
        assert "siaga db upgrade" in behind.json()["detail"]


def test_serve_refuses_a_database_behind_the_code_in_one_line(tmp_path: Path) -> None:
    import subprocess

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0017")
    env = {"PATH": "/usr/bin:/bin", "SIAGA_DATABASE_URL": f"sqlite+aiosqlite:///{url[10:]}"}
    done = subprocess.run(
        [sys.executable, "-m", "siaga_web.cli", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "0017" in lines[0] and head_revision() in lines[0] and "siaga db upgrade" in lines[0]


def test_json_log_lines_carry_the_request_and_hide_personal_data() -> None:
    formatter = JsonFormatter()
    token = set_request_id("req-123")
    try:
        record = logging.LogRecord(
            "siaga.access", logging.INFO, __file__, 1, "GET %s %s", ("/x", 200), None
        )
        record.route, record.status, record.tenant = "/wilayah/{code}", 200, "62.12"
        try:
            raise ValueError(f"NIK {NIK} tidak sah")
        except ValueError:
            record.exc_info = sys.exc_info()
        line = formatter.format(record)
    finally:
        reset_request_id(token)
    entry = json.loads(line)
    assert entry["request_id"] == "req-123" and entry["level"] == "info"
    assert entry["route"] == "/wilayah/{code}" and entry["status"] == 200
    assert entry["tenant"] == "62.12" and entry["message"] == "GET /x 200"
    assert "ValueError" in entry["error"] and NIK not in line


async def test_each_request_logs_one_access_line(
    db: ScratchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="siaga.access")
    async with client_for(build_app(db)) as client:
        answer = await client.get("/healthz", headers={"X-Request-Id": "abc-1"})
    [record] = [r for r in caplog.records if r.name == "siaga.access"]
    assert record.route == "/healthz" and record.status == 200  # type: ignore[attr-defined]
    assert record.duration_ms >= 0 and answer.headers["x-request-id"] == "abc-1"  # type: ignore[attr-defined]
    assert JsonFormatter().format(record)  # renders as one JSON line


def test_secrets_come_from_files_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    (tmp_path / "SIAGA_SECRET_KEY").write_text("dari-berkas-" + "x1y2z3" * 6 + "\n")
    (tmp_path / "SIAGA_SMTP_PASSWORD").write_text("sandi-smtp")
    monkeypatch.setenv("SIAGA_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("SIAGA_SMTP_PASSWORD", "dari-lingkungan")
    settings = read_settings()
    assert settings.secret_key.get_secret_value() == "dari-berkas-" + "x1y2z3" * 6
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "dari-lingkungan"


@pytest.mark.postgres_only
async def test_a_migration_gives_up_on_a_busy_table(
    db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from siaga_platform.config import get_settings

    config = alembic_config(db.owner_url)
    command.downgrade(config, "0017")  # 0018 creates a table referencing provinces
    monkeypatch.setenv("SIAGA_MIGRATION_LOCK_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    engine = create_engine(sync_url(db.owner_url))
    try:
        with engine.connect() as holder:
            holder.execute(text("BEGIN"))
            holder.execute(text("LOCK TABLE provinces IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            with pytest.raises(OperationalError, match="lock timeout"):
                command.upgrade(config, "head")
            assert time.monotonic() - started < 10
            holder.execute(text("ROLLBACK"))
        command.upgrade(config, "head")  # the lock gone, the step runs
    finally:
        engine.dispose()
        get_settings.cache_clear()
