"""Keycloak down: a clear page at sign-in with nothing half-created, and people already
signed in keep working until their access token really expires (a closed port stands in for
the unreachable server: nothing is mocked)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from siaga_platform.auth.models import AuthSession, LoginAttempt
from siaga_platform.auth.oidc import secret_hash
from siaga_platform.auth.principal import Role
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.memberships.models import scope_key_for
from siaga_tenants.registry import repository as tenants
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, client_for

CLOSED = "http://127.0.0.1:9"


async def test_sign_in_with_keycloak_down_shows_a_clear_page(db: ScratchDatabase) -> None:
    app = build_app(db, keycloak_server_url=CLOSED, keycloak_client_secret="x")
    async with client_for(app) as client:
        page = await client.get("/masuk")
        assert "Masuk dengan SSO" in page.text
        answer = await client.get("/auth/login")
    assert answer.status_code == 503
    assert "tidak dapat dihubungi" in answer.text and "Coba lagi" in answer.text
    async with db.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


@pytest.mark.parametrize(
    ("expires_in", "still_in"),
    [(timedelta(minutes=4), True), (timedelta(seconds=30), True), (timedelta(seconds=-5), False)],
)
async def test_signed_in_users_keep_working_until_their_token_expires(
    db: ScratchDatabase, expires_in: timedelta, still_in: bool
) -> None:
    await seed(db)
    subject = demo_subject(Role.OPERATOR, "62.12")
    raw_id = "a-session-id-for-this-test"
    async with unit_of_work(db.session_factory) as session:
        tenant = await tenants.get_by_code(session, "62.12")
        assert tenant is not None
        session.add(
            AuthSession(
                id_hash=secret_hash(raw_id),
                subject=subject,
                method="sso",
                acting_role="operator",
                acting_scope_key=scope_key_for(Role.OPERATOR, tenant.id, None),
                refresh_token="opaque",
                access_expires_at=datetime.now(UTC) + expires_in,
            )
        )
    app = build_app(db, keycloak_server_url=CLOSED, keycloak_client_secret="x")
    async with client_for(app) as client:
        # Put the session id into the signed cookie the way the app itself does.
        import base64
        import json

        from itsdangerous import TimestampSigner

        cookie = TimestampSigner("test-secret-key-for-signing-cookies").sign(
            base64.b64encode(json.dumps({"sid": raw_id}).encode())
        )
        client.cookies.set("siaga_session", cookie.decode())
        answer = await client.get("/wilayah/62.12")
    assert (answer.status_code == 200) is still_in
    async with db.session_factory() as session:
        row = await session.get(AuthSession, secret_hash(raw_id))
        assert row is not None
        assert (row.ended_at is None) is still_in
