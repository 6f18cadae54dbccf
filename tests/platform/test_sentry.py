"""Error reports carry no NIK: not from the path, the query string, the body or a log line.
A recording transport stands in for the Sentry server (nothing to run for that)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import sentry_sdk
from fastapi import APIRouter
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from siaga_platform.auth.principal import Role
from siaga_platform.observability.scrub import scrub, scrub_text
from siaga_tenants.demo.seed import demo_subject
from siaga_web.deps import CurrentPrincipal
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for, sign_in

NIK = "6212015708950001"
NIK_SPACED = "6212 0157 0895 0001"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


class RecordingTransport(Transport):
    envelopes: ClassVar[list[Envelope]] = []

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)

    def capture_envelope(self, envelope: Envelope) -> None:
        RecordingTransport.envelopes.append(envelope)


@pytest.fixture
def recorded() -> Iterator[list[Envelope]]:
    RecordingTransport.envelopes = []
    yield RecordingTransport.envelopes
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)


def _failing_router() -> APIRouter:
    router = APIRouter()

    @router.post("/api/v1/test-failure/{nik}")
    async def fail_with_nik(nik: str, principal: CurrentPrincipal) -> None:
        logging.getLogger("siaga.test").warning("looking up %s for %s", nik, principal.subject)
        raise RuntimeError(f"lookup failed for {nik} / {NIK_SPACED}")

    return router


async def test_no_nik_in_any_envelope(db: ScratchDatabase, recorded: list[Envelope]) -> None:
    await seed(db)
    app = build_app(
        db,
        sentry_transport=RecordingTransport,
        sentry_dsn="https://public@sentry.invalid/1",
        sentry_traces_sample_rate=1.0,
    )
    app.router.include_router(_failing_router())
    async with client_for(app) as client:
        await sign_in(client, demo_subject(Role.OPERATOR, "62.12"))
        response = await client.post(
            f"/api/v1/test-failure/{NIK}?nik={NIK}&q={NIK_SPACED}&t={JWT}",
            json={"nik": NIK, "nama": "Siti Aminah", "note": f"NIK {NIK}", "token": JWT},
        )
    assert response.status_code == 500
    sentry_sdk.flush()
    payloads = [envelope.serialize() for envelope in recorded]
    kinds = {item.type for envelope in recorded for item in envelope.items}
    assert "event" in kinds and "transaction" in kinds  # something was really sent
    for payload in payloads:
        assert NIK.encode() not in payload
        assert NIK_SPACED.encode() not in payload
        assert b"Siti Aminah" not in payload
        assert b"eyJhbGciOiJSUzI1NiJ9" not in payload
    events = [
        item.payload.json
        for envelope in recorded
        for item in envelope.items
        if item.type == "event" and item.payload.json
    ]
    assert any(e.get("tags", {}).get("tenant") == "62.12" for e in events)
    assert any(e.get("tags", {}).get("province") == "62" for e in events)


def test_scrubber_masks_niks_names_and_tokens() -> None:
    assert scrub_text(f"nik={NIK}") == "nik=[Filtered]"
    assert scrub_text(f"NIK {NIK} hilang") == "NIK [NIK] hilang"
    assert scrub_text("6212-0157-0895-0001 x") == "[NIK] x"
    assert scrub_text("GET /permohonan?q=Siti+Aminah&status=prr") == (
        "GET /permohonan?q=[Filtered]&status=prr"
    )
    assert scrub_text("x=6212%200157%200895%200001&r=6212+0157+0895+0001") == "x=[NIK]&r=[NIK]"
    assert scrub_text("phone 0812345678") == "phone 0812345678"  # short numbers stay
    cleaned = scrub({"nama": "Siti", "nested": [{"token": "abc"}, f"{NIK}"], "count": 3})
    assert cleaned == {
        "nama": "[Filtered]",
        "nested": [{"token": "[Filtered]"}, "[NIK]"],
        "count": 3,
    }


def test_sentry_is_off_without_a_dsn() -> None:
    from siaga_platform.config import Settings
    from siaga_platform.observability.sentry import init_sentry

    assert init_sentry(Settings(sentry_dsn=None)) is False


def test_log_filter_keeps_uvicorn_access_lines_working_and_scrubbed() -> None:
    import logging

    from uvicorn.logging import AccessFormatter

    from siaga_platform.observability.logging import PersonalDataFilter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/x?q={NIK}&nama=Siti", "1.1", 200),
        None,
    )
    assert PersonalDataFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert NIK not in line and "Siti" not in line and "200" in line
