"""Tampered tokens are refused: wrong signature, wrong issuer, wrong audience, expired, unknown
key id, wrong token type. Real tokens come from the real Keycloak; tokens with a chosen flaw
are signed with a key the validator is told to trust, so only that flaw can refuse them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jwt
from sqlalchemy import select

from siaga_platform.auth.models import AuthSession
from siaga_platform.auth.oidc import KeycloakOidc, TokenRefused
from siaga_platform.config import Settings
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.keycloak import (
    WEB_CLIENT_SECRET,
    KeycloakServer,
    live_siaga,
    sign_in_without_browser,
)
from tests.fixtures.seed import seed

pytestmark = pytest.mark.postgres_only


def _oidc(keycloak: KeycloakServer) -> KeycloakOidc:
    return KeycloakOidc(
        Settings(keycloak_server_url=keycloak.url, keycloak_client_secret="unused-here")
    )


def _signed(key: jwk.JWK, claims: dict[str, Any], kid: str | None = None) -> str:
    token = jwt.JWT(header={"alg": "RS256", "kid": kid or key.key_id}, claims=claims)
    token.make_signed_token(key)
    return str(token.serialize())


def _claims(oidc: KeycloakOidc, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": oidc.issuer,
        "aud": ["siaga-web", "account"],
        "sub": str(uuid.uuid4()),
        "typ": "Bearer",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return claims


@pytest.fixture
def own_key() -> jwk.JWK:
    return jwk.JWK.generate(kty="RSA", size=2048, kid="test-signing-key")


async def test_claim_checks_each_refuse_one_flaw(
    keycloak: KeycloakServer, own_key: jwk.JWK
) -> None:
    oidc = _oidc(keycloak)
    trusted = jwk.JWKSet()
    trusted.add(own_key)
    oidc.trust_keys(trusted)
    good = _signed(own_key, _claims(oidc))
    assert (await oidc.validate_access_token(good))["typ"] == "Bearer"  # the control passes

    flawed = {
        "wrong issuer": _claims(oidc, iss=f"{keycloak.url}/realms/master"),
        "wrong audience": _claims(oidc, aud=["account", "another-app"]),
        "expired": _claims(oidc, iat=int(time.time()) - 3600, exp=int(time.time()) - 600),
        "ID token as access token": _claims(oidc, typ="ID"),
        "no expiry": {k: v for k, v in _claims(oidc).items() if k != "exp"},
    }
    for flaw, claims in flawed.items():
        with pytest.raises(TokenRefused) as refused:
            await oidc.validate_access_token(_signed(own_key, claims))
        # Refused for the flaw itself: the signature and key were fine.
        assert refused.value.reason != "unknown signing key", flaw
        assert "Signature" not in refused.value.reason, flaw


async def test_real_tokens_and_tampered_ones(
    db: ScratchDatabase, keycloak: KeycloakServer, own_key: jwk.JWK
) -> None:
    await seed(db)
    with live_siaga(keycloak, db) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as siaga:
            await sign_in_without_browser(siaga, "operator-62.12")
        async with db.session_factory() as session:
            row = (await session.scalars(select(AuthSession))).one()
        assert row.refresh_token and row.id_token
        # The session keeps no access token: get a fresh one with the refresh token, as the
        # app itself does (it needs the client secret).
        oidc = KeycloakOidc(
            Settings(keycloak_server_url=keycloak.url, keycloak_client_secret=WEB_CLIENT_SECRET)
        )
        real = (await oidc.refresh(row.refresh_token)).access_token
        header, payload, signature = real.split(".")

        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as api:
            ok = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {real}"})
            assert ok.status_code == 200 and ok.json()["tenant_code"] == "62.12"

            flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
            claims = json.loads(jwt.JWT(jwt=real).token.objects["payload"])
            claims["sub"] = str(uuid.uuid4())  # a changed payload under the original signature
            forged_payload = jwk.base64url_encode(json.dumps(claims))
            refused = {
                "bad signature": f"{header}.{payload}.{flipped}",
                "changed payload": f"{header}.{forged_payload}.{signature}",
                "ID token": row.id_token,
                "own key, unknown kid": _signed(own_key, _claims(_oidc(keycloak))),
                "garbage": "not-a-token",
            }
            for name, token in refused.items():
                answer = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
                assert answer.status_code == 401, name


async def test_unknown_kid_refetches_the_keys_once(
    keycloak: KeycloakServer, own_key: jwk.JWK
) -> None:
    oidc = _oidc(keycloak)
    token = _signed(own_key, _claims(oidc), kid="rotated-away")
    with pytest.raises(TokenRefused) as refused:
        await oidc.validate_access_token(token)
    assert refused.value.reason == "unknown signing key"
    assert oidc.jwks_fetches == 1
    with pytest.raises(TokenRefused):
        await oidc.validate_access_token(token)
    assert oidc.jwks_fetches == 1  # no refetch storm: a recent fetch is trusted
