"""Sign-in through the real Keycloak, without a browser: sessions, refresh, sign-out,
back-channel logout, replayed or forged state and code, unknown tenants, Bearer tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from siaga_platform.auth.models import AuthSession, LoginAttempt
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.memberships.models import Membership, User
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.keycloak import (
    DEMO_PASSWORD,
    KeycloakServer,
    eventually,
    keycloak_login,
    live_siaga,
    sign_in_without_browser,
)
from tests.fixtures.seed import seed

pytestmark = pytest.mark.postgres_only


async def _sessions(db: ScratchDatabase) -> list[AuthSession]:
    async with db.session_factory() as session:
        return list((await session.scalars(select(AuthSession))).all())


async def test_operator_signs_in_and_reaches_only_own_tenant(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            landed = await sign_in_without_browser(siaga, "operator-62.12")
            assert landed.status_code == 303 and landed.headers["location"] == "/wilayah/62.12"
            assert "httponly" in landed.headers["set-cookie"].lower()
            assert (await siaga.get("/wilayah/62.12")).status_code == 200
            assert (await siaga.get("/wilayah/62.03")).status_code == 404
            me = (await siaga.get("/api/v1/me")).json()
            assert me["role"] == "operator" and me["tenant_code"] == "62.12"
    [row] = await _sessions(db)
    assert row.method == "sso" and row.keycloak_sid and row.refresh_token
    assert row.access_expires_at is not None and row.access_expires_at > datetime.now(UTC)


async def test_wrong_password_stays_on_keycloak(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            answer = await sign_in_without_browser(siaga, "operator-62.12", "not-the-password")
    assert answer.status_code == 200
    assert "Invalid username or password" in answer.text
    assert await _sessions(db) == []


async def test_refresh_before_expiry_and_refused_refresh_ends_cleanly(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            await sign_in_without_browser(siaga, "operator-62.12")
            [before] = await _sessions(db)
            soon = datetime.now(UTC) + timedelta(seconds=20)
            async with unit_of_work(db.session_factory) as session:
                await session.execute(update(AuthSession).values(access_expires_at=soon))
            assert (await siaga.get("/wilayah/62.12")).status_code == 200
            [after] = await _sessions(db)
            assert after.refresh_token != before.refresh_token  # Keycloak rotated it
            assert after.access_expires_at is not None and after.access_expires_at > soon
            # Now Keycloak refuses the refresh (a revoked or forged refresh token).
            async with unit_of_work(db.session_factory) as session:
                await session.execute(
                    update(AuthSession).values(access_expires_at=soon, refresh_token="revoked")
                )
            response = await siaga.get("/wilayah/62.12")
            assert response.status_code == 303 and response.headers["location"] == "/masuk"
    [ended] = await _sessions(db)
    assert ended.ended_at is not None and ended.end_reason == "refresh_refused"
    assert ended.refresh_token is None


async def test_sign_out_ends_the_local_and_the_keycloak_session(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            await sign_in_without_browser(siaga, "operator-62.12")
            page = await siaga.get("/wilayah/62.12")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            out = await siaga.post("/keluar", data={"csrf_token": token})
            assert out.status_code == 303
            logout_url = out.headers["location"]
            assert logout_url.startswith(
                f"{keycloak.url}/realms/siaga/protocol/openid-connect/logout"
            )
            assert "id_token_hint=" in logout_url
            assert (await siaga.get("/wilayah/62.12")).status_code == 303
    [row] = await _sessions(db)
    assert row.end_reason == "signed_out"


async def test_back_channel_logout_from_keycloak_ends_the_siaga_session(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            await sign_in_without_browser(siaga, "kepala-dinas-62.12")
            assert (await siaga.get("/wilayah/62.12")).status_code == 200
            # An administrator ends the user's sessions in Keycloak's admin API.
            keycloak.admin().user_logout(keycloak.user_id("kepala-dinas-62.12"))

            async def ended() -> bool:
                return all(row.ended_at is not None for row in await _sessions(db))

            assert await eventually(ended)
            assert (await siaga.get("/wilayah/62.12")).status_code == 303
    [row] = await _sessions(db)
    assert row.end_reason == "backchannel_logout"


async def test_forged_logout_token_is_refused(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            await sign_in_without_browser(siaga, "operator-62.12")
            [row] = await _sessions(db)
            assert row.id_token
            # An ID token is signed by the realm but is not a logout token.
            answer = await siaga.post(
                "/auth/backchannel-logout", data={"logout_token": row.id_token}
            )
            assert answer.status_code == 400
            assert (await siaga.get("/wilayah/62.12")).status_code == 200


async def test_replayed_or_forged_state_and_code_are_refused(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            forged = await siaga.get("/auth/callback", params={"code": "x", "state": "forged"})
            assert forged.status_code == 400
            assert "Silakan klik Masuk lagi" in forged.text

            # A real state with a forged code: Keycloak refuses the exchange.
            start = await siaga.get("/auth/login")
            state = httpx.URL(start.headers["location"]).params["state"]
            bad_code = await siaga.get("/auth/callback", params={"code": "forged", "state": state})
            assert bad_code.status_code == 401
            # ... and that state is spent.
            again = await siaga.get("/auth/callback", params={"code": "forged", "state": state})
            assert again.status_code == 400

            # A successful sign-in's callback URL, replayed.
            start = await siaga.get("/auth/login")
            answer = await keycloak_login(start.headers["location"], "operator-62.12")
            callback = answer.headers["location"]
            assert (await siaga.get(callback)).status_code == 303
            replay = await siaga.get(callback)
            assert replay.status_code == 400
    async with db.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(AuthSession)) == 1
        unused = await session.scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.used_at.is_(None))
        )
        assert unused == 0


async def test_user_of_an_unknown_tenant_is_told_whom_to_ask(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    await seed(db)
    admin = keycloak.admin()
    province = (
        admin.create_group({"name": "63"}, skip_exists=True) or admin.get_group_by_path("/63")["id"]
    )
    regency = admin.create_group({"name": "63.01"}, parent=province, skip_exists=True)
    regency = regency or admin.get_group_by_path("/63/63.01")["id"]
    username = "operator-63.01-tamu"
    user_id = admin.create_user(
        {
            "username": username,
            "enabled": True,
            "email": f"{username}@demo.siaga.invalid",
            "emailVerified": True,
            "firstName": "Operator",
            "lastName": "Tanah Laut",
            "credentials": [{"type": "password", "value": DEMO_PASSWORD, "temporary": False}],
        },
        exist_ok=True,
    )
    admin.group_user_add(user_id, regency)
    admin.assign_realm_roles(user_id, [admin.get_realm_role("operator")])
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            refused = await sign_in_without_browser(siaga, username)
            assert refused.status_code == 403
            assert "63.01" in refused.text and "admin" in refused.text
            assert (await siaga.get("/api/v1/me")).status_code == 401
    async with db.session_factory() as session:
        assert await session.get(User, user_id) is None
        members = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.user_subject == user_id)
        )
        assert members == 0
        assert await session.scalar(select(func.count()).select_from(AuthSession)) == 0


async def test_first_sign_in_creates_the_membership_just_in_time(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    # No demo seed: the tenant exists, the person does not yet exist in Siaga.
    from siaga_platform.audit.models import AuditEvent
    from siaga_platform.tenancy.scope import TenantScope, enter_scope
    from siaga_tenants.registry.service import provision_tenant

    async with unit_of_work(db.session_factory) as session:
        tenant = await provision_tenant(session, "62.12", actor_subject="test")
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            landed = await sign_in_without_browser(siaga, "operator-62.12")
            assert landed.headers["location"] == "/wilayah/62.12"
    subject = keycloak.user_id("operator-62.12")
    async with db.session_factory() as session:
        [membership] = (
            await session.scalars(select(Membership).where(Membership.user_subject == subject))
        ).all()
        assert membership.role == "operator" and membership.tenant_id == tenant.id
        await enter_scope(session, TenantScope.single(tenant.id))
        actions = (await session.scalars(select(AuditEvent.action))).all()
        assert "membership.created_at_first_sign_in" in actions


async def test_supervisor_claim_grants_nothing_without_a_local_grant(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    from siaga_tenants.registry.service import provision_tenant

    async with unit_of_work(db.session_factory) as session:
        await provision_tenant(session, "62.12", actor_subject="test")
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            refused = await sign_in_without_browser(siaga, "supervisor-provinsi-62")
            assert refused.status_code == 403
            assert "belum disetujui di Siaga" in refused.text
