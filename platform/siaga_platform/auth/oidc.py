"""OpenID Connect with Keycloak (python-keycloak): authorization code + PKCE (S256) with state
and nonce, token refresh, and the checks every token must pass.

Checked on these machines: ``decode_token`` without ``key=`` fetched the certificates on every
call, and without explicit claim checks it accepted a token for another audience. So the JWKS is
cached here (refetched, at most every few seconds, when a token names an unknown ``kid``) and
issuer, audience, expiry, token type and (for ID tokens) nonce are always checked.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

from siaga_platform.config import Settings
from siaga_platform.errors import DomainError

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
CLOCK_SKEW_SECONDS = 30


class SsoUnavailable(DomainError):
    status_code = 503
    message = (
        "Layanan masuk (SSO) sedang tidak dapat dihubungi. Coba lagi beberapa menit lagi; "
        "jika masih gagal, hubungi admin TI dinas Anda."
    )


class TokenRefused(DomainError):
    status_code = 401
    message = "Tanda masuk (token) tidak sah. Silakan masuk lagi."

    def __init__(self, reason: str) -> None:
        super().__init__()
        #: Why, for logs and tests (never shown to the user, never contains the token).
        self.reason = reason


class RefreshRefused(TokenRefused):
    pass


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    id_token: str | None
    access_expires_at: datetime
    refresh_expires_at: datetime | None
    #: Validated claims of the access token (roles, groups, audience).
    access_claims: dict[str, Any]
    #: Validated claims of the ID token, when there is one (sid, name).
    id_claims: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(verifier, challenge)


def _header(token: str) -> dict[str, Any]:
    try:
        encoded = token.split(".")[0]
        padded = encoded + "=" * (-len(encoded) % 4)
        header = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, IndexError) as error:
        raise TokenRefused("malformed token") from error
    if not isinstance(header, dict):
        raise TokenRefused("malformed token")
    return header


class KeycloakOidc:
    def __init__(self, settings: Settings, *, jwks_refetch_seconds: float = 10.0) -> None:
        if not settings.keycloak_server_url:
            raise ValueError("Keycloak is not configured (SIAGA_KEYCLOAK_SERVER_URL)")
        self.issuer = settings.keycloak_issuer
        self.client_id = settings.keycloak_client_id
        secret = settings.keycloak_client_secret
        self._openid = KeycloakOpenID(
            server_url=settings.keycloak_server_url,
            realm_name=settings.keycloak_realm,
            client_id=settings.keycloak_client_id,
            client_secret_key=secret.get_secret_value() if secret else None,
            timeout=settings.keycloak_timeout_seconds,
        )
        self._jwks_refetch_seconds = jwks_refetch_seconds
        self._keys = jwk.JWKSet()
        self._keys_fetched_at: float | None = None
        self._keys_lock = asyncio.Lock()
        self._well_known: dict[str, Any] | None = None
        self.jwks_fetches = 0  # how often the certificates were fetched (for tests)

    # -- talking to Keycloak -------------------------------------------------------------

    async def _guarded(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await call(*args, **kwargs)
        except (KeycloakConnectionError, httpx.TransportError, OSError) as error:
            raise SsoUnavailable() from error

    async def well_known(self) -> dict[str, Any]:
        if self._well_known is None:
            document = await self._guarded(self._openid.a_well_known)
            if not isinstance(document, dict) or "authorization_endpoint" not in document:
                raise SsoUnavailable()
            self._well_known = document
        return self._well_known

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> str:
        endpoint = (await self.well_known())["authorization_endpoint"]
        query = urlencode(
            {
                "client_id": self.client_id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": redirect_uri,
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{endpoint}?{query}"

    async def end_session_url(self, *, id_token_hint: str, post_logout_redirect_uri: str) -> str:
        endpoint = (await self.well_known())["end_session_endpoint"]
        query = urlencode(
            {
                "id_token_hint": id_token_hint,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "client_id": self.client_id,
            }
        )
        return f"{endpoint}?{query}"

    async def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> TokenSet:
        try:
            response = await self._guarded(
                self._openid.a_token,
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
            )
        except KeycloakError as error:
            raise TokenRefused("authorization code refused") from error
        return await self._token_set(response, nonce=nonce)

    async def refresh(self, refresh_token: str) -> TokenSet:
        try:
            response = await self._guarded(self._openid.a_refresh_token, refresh_token)
        except KeycloakError as error:
            raise RefreshRefused("refresh refused") from error
        return await self._token_set(response, nonce=None)

    async def _token_set(self, response: dict[str, Any], *, nonce: str | None) -> TokenSet:
        now = datetime.now(UTC)
        access_claims = await self.validate_access_token(response["access_token"])
        id_token = response.get("id_token")
        id_claims: dict[str, Any] = {}
        if id_token:
            id_claims = await self.validate_id_token(id_token, nonce=nonce)
            if id_claims.get("sub") != access_claims.get("sub"):
                raise TokenRefused("ID token and access token name different people")
        elif nonce is not None:
            raise TokenRefused("no ID token in the code exchange")
        refresh_in = response.get("refresh_expires_in")
        return TokenSet(
            access_token=response["access_token"],
            refresh_token=response.get("refresh_token"),
            id_token=id_token,
            access_expires_at=now + timedelta(seconds=int(response.get("expires_in", 60))),
            refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
            access_claims=access_claims,
            id_claims=id_claims,
        )

    # -- checking tokens -----------------------------------------------------------------

    async def _key_set_for(self, kid: str | None) -> jwk.JWKSet:
        if kid and self._keys.get_key(kid) is not None:
            return self._keys
        async with self._keys_lock:
            recently = (
                self._keys_fetched_at is not None
                and time.monotonic() - self._keys_fetched_at < self._jwks_refetch_seconds
            )
            if not (kid and self._keys.get_key(kid) is not None) and not recently:
                certs = await self._guarded(self._openid.a_certs)
                keys = jwk.JWKSet()
                for cert in certs.get("keys", []):
                    if cert.get("use", "sig") == "sig":
                        keys.add(jwk.JWK(**cert))
                self._keys, self._keys_fetched_at = keys, time.monotonic()
                self.jwks_fetches += 1
        if not kid or self._keys.get_key(kid) is None:
            raise TokenRefused("unknown signing key")
        return self._keys

    def trust_keys(self, keys: jwk.JWKSet) -> None:
        """Use these keys as Keycloak's published set (tests sign their own tokens)."""
        self._keys, self._keys_fetched_at = keys, time.monotonic()

    async def _validate(self, token: str, check_claims: dict[str, Any]) -> dict[str, Any]:
        header = _header(token)
        if header.get("alg") not in ALGORITHMS:
            raise TokenRefused("algorithm not allowed")
        keys = await self._key_set_for(header.get("kid"))
        try:
            checked = jwt.JWT(algs=ALGORITHMS, check_claims=check_claims, expected_type="JWS")
            checked.leeway = CLOCK_SKEW_SECONDS
            checked.deserialize(token, keys)
            claims = json.loads(checked.claims)
        except (JWException, ValueError, TypeError) as error:
            raise TokenRefused(f"{type(error).__name__}: {error}"[:200]) from error
        if not isinstance(claims, dict):
            raise TokenRefused("claims are not an object")
        return claims

    def _base_claims(self) -> dict[str, Any]:
        return {"iss": self.issuer, "aud": self.client_id, "exp": None, "iat": None, "sub": None}

    async def validate_access_token(self, token: str) -> dict[str, Any]:
        claims = await self._validate(token, self._base_claims())
        if claims.get("typ") != "Bearer":
            raise TokenRefused("not an access token")
        return claims

    async def validate_id_token(self, token: str, *, nonce: str | None) -> dict[str, Any]:
        claims = await self._validate(token, self._base_claims())
        if claims.get("typ") != "ID":
            raise TokenRefused("not an ID token")
        if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise TokenRefused("nonce mismatch")
        return claims

    async def validate_logout_token(self, token: str) -> dict[str, Any]:
        """A back-channel logout token (OIDC Back-Channel Logout 1.0, section 2.6)."""
        claims = await self._validate(
            token, {"iss": self.issuer, "aud": self.client_id, "iat": None}
        )
        events = claims.get("events")
        if not isinstance(events, dict) or BACKCHANNEL_LOGOUT_EVENT not in events:
            raise TokenRefused("not a logout token")
        if "nonce" in claims:
            raise TokenRefused("logout token must not carry a nonce")
        if not claims.get("sid") and not claims.get("sub"):
            raise TokenRefused("logout token names no session")
        return claims


def secret_hash(value: str) -> str:
    """What the database keeps of a browser secret (state, session id)."""
    return hashlib.sha256(value.encode()).hexdigest()
