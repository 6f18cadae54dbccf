"""PostgreSQL stopped under load and started again, against a real uvicorn server.

The test has a throwaway cluster of its own (infra/postgres/throwaway.sh under var/), so the
cluster the other tests share is never stopped. While the database is away every answer is a
503 with Retry-After (never a 500, never a dropped keep-alive connection); every beat that got
a 2xx is stored; once the database is back the app recovers by itself. The server's own output
is kept and searched for personal data after a statement fails on a registration.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest

from siaga_platform.auth.principal import Principal, Role
from siaga_platform.hardware import service as hardware
from siaga_platform.hardware.models import DeviceKind, Funding, SiteKind
from siaga_platform.tenancy.scope import TenantScope, acting_for
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry import repository as tenants
from siaga_web.server import HTTP_PROTOCOL
from tests.fixtures.applications import CIPHER
from tests.fixtures.databases import REPO_ROOT, ScratchDatabase, service_missing
from tests.fixtures.seed import seed
from tests.fixtures.web import csrf_from, sign_in
from tests.web.test_failures import FAIL_INSERT, NIK, PERSONAL_VALUES, failing_application

THROWAWAY = REPO_ROOT / "infra" / "postgres" / "throwaway.sh"
REGENCIES = ("62.01", "62.02", "62.03", "62.12")
CLIENTS = len(REGENCIES)
OUTAGE_SECONDS = 6


@dataclass
class Server:
    url: str
    cluster: Path
    admin_dsn: str
    tokens: list[str]
    log: Path
    process: subprocess.Popen[bytes]

    def cluster_command(self, action: str) -> None:
        subprocess.run([str(THROWAWAY), action, str(self.cluster)], check=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _url(port: str, role: str, database: str = "siaga") -> str:
    return f"postgresql+psycopg://{role}:{role}@127.0.0.1:{port}/{database}"


async def _devices(database: ScratchDatabase) -> list[str]:
    """One device in each of four regencies (devices of one site changing state at the same
    moment lock each other: a matter of their own, kept out of this test)."""
    await seed(database)
    tokens = []
    async with unit_of_work(database.session_factory) as session:
        for code in REGENCIES:
            tenant = await tenants.get_by_code(session, code)
            assert tenant is not None
            who = Principal(
                subject="test-outage",
                display_name="Uji",
                role=Role.OPERATOR,
                tenant_id=tenant.id,
                tenant_code=tenant.code,
                province_code=tenant.province_code,
            )
            async with acting_for(session, TenantScope.single(tenant.id)):
                site = await hardware.create_site(
                    session,
                    who,
                    CodeListDirectory(),
                    name="Kantor",
                    kind=SiteKind.OFFICE,
                    kecamatan_code=None,
                )
                _device, token = await hardware.register_device(
                    session,
                    who,
                    site_id=site.id,
                    kind=DeviceKind.RECORDING_PC,
                    label="PC perekaman",
                    funding=Funding.APBN,
                )
                tokens.append(token)
    return tokens


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not shutil.which("runuser") and os.getuid() == 0:  # pragma: no cover - odd machines
        service_missing("runuser (PostgreSQL refuses to run as root)")
    cluster = REPO_ROOT / "var" / f"pgfault-{uuid.uuid4().hex[:8]}"
    started = subprocess.run(
        [str(THROWAWAY), "start", str(cluster)], capture_output=True, text=True, check=False
    )
    if started.returncode == 3:
        service_missing("PostgreSQL server binaries (apt-get install postgresql)")
    assert started.returncode == 0, started.stderr
    port = next(
        line.split("=", 1)[1]
        for line in started.stdout.splitlines()
        if line.startswith("export SIAGA_TEST_POSTGRES_PORT=")
    )
    process: subprocess.Popen[bytes] | None = None
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")},
            "SIAGA_ENVIRONMENT": "development",
            "SIAGA_DATABASE_URL": _url(port, "siaga_web"),
            "SIAGA_MIGRATION_DATABASE_URL": _url(port, "siaga_owner"),
            "SIAGA_SECRET_KEY": "test-secret-key-for-signing-cookies",
            "SIAGA_DEV_SIGN_IN": "true",
        }
        siaga = Path(sys.executable).parent / "siaga"
        subprocess.run([str(siaga), "db", "upgrade"], env=env, cwd=REPO_ROOT, check=True)
        database = ScratchDatabase(
            "postgresql", _url(port, "siaga_web"), _url(port, "siaga_owner"), "siaga"
        )
        tokens = asyncio.run(_devices(database))
        asyncio.run(database.dispose())
        web_port = _free_port()
        log = cluster / "uvicorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "siaga_web.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(web_port),
                    "--http",
                    HTTP_PROTOCOL,
                    "--log-level",
                    "info",
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{web_port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        admin_dsn = f"postgresql://postgres@127.0.0.1:{port}/siaga"
        yield Server(url, cluster, admin_dsn, tokens, log, process)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        subprocess.run([str(THROWAWAY), "stop", str(cluster)], check=False)
        relocated = cluster / "relocated"
        if relocated.exists():
            shutil.rmtree(relocated.read_text().strip(), ignore_errors=True)
        shutil.rmtree(cluster, ignore_errors=True)


@dataclass
class Answer:
    phase: str
    token: str
    status: int | None  # None: the connection failed (dropped, refused, reset)
    retry_after: str | None = None
    error: str = ""
    answered: str = ""  # the phase when the answer came
    request_id: str = ""


@dataclass
class Load:
    phase: str = "before"
    answers: list[Answer] = field(default_factory=list)
    accepted: dict[str, list[datetime]] = field(default_factory=dict)
    stop: bool = False


async def _beat_forever(url: str, token: str, load: Load) -> None:
    # One keep-alive connection per device agent: a connection the server drops shows up as an
    # error on the next request.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=15) as client:
        while not load.stop:
            taken = datetime.now(UTC)
            phase = load.phase  # when it was sent
            try:
                response = await client.post(
                    "/api/v1/heartbeats",
                    json={"taken_at": taken.isoformat(), "status": "ok", "readings": {}},
                    headers={"X-Device-Token": token},
                )
            except httpx.HTTPError as error:
                load.answers.append(Answer(phase, token, None, None, repr(error), load.phase))
            else:
                load.answers.append(
                    Answer(
                        phase,
                        token,
                        response.status_code,
                        response.headers.get("retry-after"),
                        answered=load.phase,
                        request_id=response.headers.get("x-request-id", ""),
                    )
                )
                if response.is_success:
                    load.accepted.setdefault(token, []).append(taken)
            await asyncio.sleep(0.02)


async def _until(check: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the app did not recover by itself"
        await asyncio.sleep(0.2)


async def test_postgresql_outage_answers_503_and_the_app_recovers(server: Server) -> None:
    load = Load()
    senders = [asyncio.create_task(_beat_forever(server.url, t, load)) for t in server.tokens]
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as person:
        await sign_in(person, demo_subject(Role.OPERATOR, "62.12"))
        try:
            await asyncio.sleep(1.5)
            load.phase = "stopping"
            await asyncio.to_thread(server.cluster_command, "stop")
            load.phase = "outage"
            await asyncio.sleep(1)
            page = await person.get("/wilayah/62.12")  # a person's page, database away
            api = await person.get("/api/v1/me")
            ready = await person.get("/readyz")
            await asyncio.sleep(OUTAGE_SECONDS - 1)
            load.phase = "restarting"
            await asyncio.to_thread(server.cluster_command, "resume")
            load.phase = "after"
            # Back by itself: every device's beats are taken again, and the app says ready.
            since = len(load.answers)

            async def recovered() -> bool:
                ok = [a for a in load.answers[since:] if a.status == 202]
                return len(ok) >= 4 * CLIENTS and {a.token for a in ok} == set(server.tokens)

            await _until(recovered, 30)
            assert (await person.get("/readyz")).status_code == 200
            after_page = await person.get("/wilayah/62.12")
            await asyncio.sleep(1)
        finally:
            load.stop = True
            await asyncio.gather(*senders)

    assert page.status_code == 503 and page.headers["retry-after"].isdigit()
    assert "text/html" in page.headers["content-type"]
    assert "Tunggu sebentar" in page.text and "x-request-id" in page.headers
    assert api.status_code == 503 and api.headers["retry-after"].isdigit()
    assert api.json()["field"] is None and "Kirim ulang" in api.json()["detail"]
    assert ready.status_code == 503
    assert after_page.status_code == 200

    dropped = [a for a in load.answers if a.status is None]
    assert not dropped, dropped[:5]
    failed = [a for a in load.answers if a.status is not None and not 200 <= a.status < 300]
    assert all(a.status == 503 and a.retry_after for a in failed), failed[:5]
    # Refused only while the database was away: sent after it was back, or answered before it
    # went (not in flight when it stopped), every beat was taken.
    assert not [a for a in failed if a.phase == "after" or a.answered == "before"], failed[:5]
    outage = [a for a in load.answers if a.phase == "outage"]
    # Refused while the database was away; a beat that waited for the heartbeat lane's
    # connection (up to 2 s) while it came back is taken then, and answered 2xx only after.
    assert outage and all(
        a.status == 503 or (a.status == 202 and a.answered in ("restarting", "after"))
        for a in outage
    )
    assert any(a.status == 503 for a in outage)
    after = [a for a in load.answers if a.phase == "after"]
    assert after and after[-1].status == 202

    # Every beat answered 2xx is stored (read as the superuser: row-level security aside).
    async with await psycopg.AsyncConnection.connect(server.admin_dsn) as connection:
        cursor = await connection.execute("SELECT taken_at FROM hardware_heartbeats")
        stored = {row[0] for row in await cursor.fetchall()}
    accepted = {t for times in load.accepted.values() for t in times}
    assert accepted and not accepted - stored, sorted(accepted - stored)[:5]


async def test_postgresql_statement_failure_leaves_no_personal_data_in_the_server_log(
    server: Server,
) -> None:
    async with await psycopg.AsyncConnection.connect(server.admin_dsn, autocommit=True) as admin:
        for statement in FAIL_INSERT["postgresql"]:
            await admin.execute(statement)  # type: ignore[arg-type]
        row = await (await admin.execute("SELECT id FROM tenants WHERE code = '62.12'")).fetchone()
        assert row is not None
    # The server's secret is the tests' (SIAGA_SECRET_KEY above), so is its search hash.
    nik_hash = CIPHER.search_hash(NIK, tenant_id=row[0], field="nik")
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as person:
            await sign_in(person, demo_subject(Role.OPERATOR, "62.12"))
            page = await person.get("/wilayah/62.12")
            answer = await person.post(
                "/api/v1/applications",
                json=failing_application(),
                headers={"X-CSRF-Token": csrf_from(page.text)},
            )
            assert answer.status_code == 500, answer.text
            request_id = answer.headers["x-request-id"]
            # The same connection goes on.
            assert (await person.get("/healthz")).status_code == 200
    finally:
        async with await psycopg.AsyncConnection.connect(server.admin_dsn, autocommit=True) as a:
            await a.execute("DROP TRIGGER uji_gagal ON applications")
            await a.execute("DROP FUNCTION uji_gagal()")
    output = server.log.read_text()  # logged before the answer was sent
    assert f"request {request_id}" in output  # the failure is in the log, with its traceback
    for value in (*PERSONAL_VALUES, nik_hash):
        assert value not in output, value
