"""Unexpected failures: a complete 500 on a connection that stays usable, and no personal data
in any log line or error report when a statement fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import sentry_sdk
import uvicorn
from fastapi import APIRouter, FastAPI
from sentry_sdk.envelope import Envelope
from sqlalchemy import text

from siaga_platform.auth.principal import Role
from siaga_platform.db.engine import create_engine
from siaga_tenants.demo.seed import demo_subject
from siaga_web.runtime import runtime
from siaga_web.server import HTTP_PROTOCOL
from tests.fixtures.applications import nik_for, operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in
from tests.platform.test_sentry import RecordingTransport, recorded  # noqa: F401 - fixture

NIK = nik_for(7)  # born 17 August 1995, male
BIRTH_PLACE = "Tumbang Samba"
DESA = "Tewang Rangkang"
BIRTH_DATE = date(1995, 8, 17)
# What a statement on a registration carries (the NIK's hash aside: it depends on the tenant).
PERSONAL_VALUES = (NIK, BIRTH_PLACE, DESA, BIRTH_DATE.isoformat(), "1995, 8, 17")

# A statement that fails on inserting an application, for a reason other than a duplicate
# (which the service answers itself): SQLite meets a missing table in a trigger; PostgreSQL a
# trigger raising with the row in its DETAIL, as its own constraint errors do.
FAIL_INSERT = {
    "sqlite": [
        "CREATE TRIGGER uji_gagal BEFORE INSERT ON applications "
        "BEGIN INSERT INTO tabel_yang_hilang VALUES (NEW.birth_place); END"
    ],
    "postgresql": [
        """CREATE FUNCTION uji_gagal() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'new row for relation "applications" violates check constraint "uji"'
            USING DETAIL = format('Failing row contains (%s, %s, %s, %s, %s).',
              NEW.nik_hash, NEW.birth_place, NEW.birth_date, NEW.sex, NEW.desa);
        END $$""",
        "CREATE TRIGGER uji_gagal BEFORE INSERT ON applications "
        "FOR EACH ROW EXECUTE FUNCTION uji_gagal()",
    ],
}


def _failing_router() -> APIRouter:
    router = APIRouter()

    @router.get("/api/v1/test-crash")
    async def crash() -> None:
        raise RuntimeError("unexpected")

    @router.get("/test-crash")
    async def crash_page() -> None:
        raise RuntimeError("unexpected")

    return router


@pytest.fixture
async def served(db: ScratchDatabase) -> AsyncIterator[str]:
    """The app behind a real uvicorn (in this event loop, a free port)."""
    app = build_app(db)
    app.router.include_router(_failing_router())
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, http=HTTP_PROTOCOL, lifespan="off", log_level="error"
    )
    listener = config.bind_socket()
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving


async def test_an_unhandled_error_is_a_complete_500_and_the_connection_stays(
    served: str,
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=served, limits=limits) as client:
        crashed = await client.get("/api/v1/test-crash")
        assert crashed.status_code == 500
        request_id = crashed.headers["x-request-id"]
        assert crashed.json() == {"detail": crashed.json()["detail"], "field": None}
        assert request_id in crashed.json()["detail"]
        assert "retry-after" not in crashed.headers
        page = await client.get("/test-crash")
        assert page.status_code == 500 and "text/html" in page.headers["content-type"]
        assert page.headers["x-request-id"] in page.text
        assert page.headers["content-security-policy"]  # the security headers are on it too
        # The same keep-alive connection answers the next request.
        assert (await client.get("/healthz")).status_code == 200


async def _break_inserts(db: ScratchDatabase) -> None:
    engine = create_engine(db.owner_url)
    try:
        async with engine.begin() as connection:
            for statement in FAIL_INSERT[db.backend]:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def failing_application() -> dict[str, object]:
    return {
        "nik": NIK,
        "name": "Yohanes Saputra",
        "birth_place": BIRTH_PLACE,
        "birth_date": BIRTH_DATE.isoformat(),
        "sex": "L",
        "kecamatan_code": "62.12.01",
        "desa": DESA,
        "reason": "lost",
    }


async def test_a_failed_statement_leaves_no_personal_data_in_logs_or_reports(
    db: ScratchDatabase,
    caplog: pytest.LogCaptureFixture,
    recorded: list[Envelope],  # noqa: F811
) -> None:
    await seed(db)
    await _break_inserts(db)
    app: FastAPI = build_app(
        db, sentry_transport=RecordingTransport, sentry_dsn="https://public@sentry.invalid/1"
    )
    who = await operator(db, "62.12")
    nik_hash = runtime(app).cipher.search_hash(NIK, tenant_id=who.tenant_id, field="nik")
    caplog.set_level(logging.DEBUG)
    async with client_for(app) as client:
        await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
        page = await client.get("/wilayah/62.12")
        answer = await client.post(
            "/api/v1/applications",
            json=failing_application(),
            headers={"X-CSRF-Token": csrf_from(page.text)},
        )
    assert answer.status_code == 500, answer.text
    assert answer.headers["x-request-id"] in answer.json()["detail"]
    sentry_sdk.flush()

    logged = "\n".join(
        [caplog.text]
        + [logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info]
    )
    assert "unhandled error: POST /api/v1/applications" in logged  # the failure was logged
    reports = b"\n".join(envelope.serialize() for envelope in recorded)
    assert any(item.type == "event" for envelope in recorded for item in envelope.items)
    for value in (*PERSONAL_VALUES, nik_hash):
        assert value not in logged, value
        assert value.encode() not in reports, value
