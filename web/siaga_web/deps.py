"""Request dependencies: the unit of work, the signed-in principal, permissions, tenant reach.

Every route declares the permission it needs through ``requires(...)``; default deny.

Where a request's tenant scope is set: here, and only here. ``optional_principal`` enters the
default (a regency user's own tenant, a supervisor's province, read only); ``in_tenant`` and
``in_province`` enter a regency's or a province's pages; the ``enter_*`` functions and
``reading_one`` / ``writing_one`` below are every other scope a page asks for. Route modules
do not import the scope (the ``routes-scope-through-deps`` import contract).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import sentry_sdk
from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth import service as auth_sessions
from siaga_platform.auth.models import AuthSession
from siaga_platform.auth.oidc import KeycloakOidc
from siaga_platform.auth.permissions import Permission, has_permission
from siaga_platform.auth.principal import TENANT_ROLES, Principal, Role
from siaga_platform.errors import DomainError, Forbidden, NotFound
from siaga_platform.letters.service import LetterPolicy
from siaga_platform.observability.sentry import tag_scope
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.tenancy.scope import TenantScope, acting_for, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.domain_inputs.letters import letter_policy
from siaga_tenants.memberships.service import (
    AccessRefused,
    ClaimedAccess,
    acting_key,
    principal_from_claims,
    resolve_principal,
)
from siaga_tenants.regions.models import Province
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry import service as registry
from siaga_tenants.registry.models import Tenant, TenantSettings
from siaga_web import clock
from siaga_web.inbox import note_unread, wants_page
from siaga_web.runtime import runtime

SESSION_ID = "sid"


class SignInRequired(DomainError):
    status_code = 401
    message = "Silakan masuk terlebih dahulu."
    keeps_work = True  # a session found ended or expired stays recorded as ended


async def _db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(runtime(request.app).session_factory) as session:
        yield session


# scope="function": the unit of work commits before the response is sent, so a failed commit
# is the client's error response, never a silent loss after a 200.
DbSession = Annotated[AsyncSession, Depends(_db_session, scope="function")]


def default_scope(principal: Principal) -> TenantScope | None:
    """The tenants a principal's requests may touch by default."""
    if principal.role in TENANT_ROLES and principal.tenant_id is not None:
        return TenantScope.single(principal.tenant_id)
    if principal.role is Role.SUPERVISOR_PROVINSI:
        return TenantScope.read_only(principal.province_tenant_ids)
    return None  # platform admins act on the registry; tenant pages narrow the scope


async def optional_principal(request: Request, db: DbSession) -> Principal | None:
    """Who is asking: a Bearer access token (API integrations) or the session cookie."""
    authorization = request.headers.get("authorization", "")
    principal: Principal | None
    if authorization[:7].lower() == "bearer ":
        principal = await _bearer_principal(request, db, authorization[7:].strip())
    else:
        principal = await _session_principal(request, db)
    if principal is None:
        return None
    request.state.principal = principal
    await enter_scope(db, default_scope(principal))
    if not authorization and wants_page(request):
        await note_unread(request, db, principal)
    tag_scope(tenant_code=principal.tenant_code, province_code=principal.province_code)
    sentry_sdk.set_user({"id": principal.subject})
    return principal


async def _bearer_principal(request: Request, db: AsyncSession, token: str) -> Principal:
    oidc: KeycloakOidc | None = runtime(request.app).oidc
    if oidc is None:
        raise SignInRequired("Token Bearer hanya diterima bila SSO (Keycloak) dikonfigurasi.")
    claims = await oidc.validate_access_token(token)
    return await principal_from_claims(db, ClaimedAccess.from_claims(claims))


def _end(request: Request, row: AuthSession, reason: str) -> None:
    """End the session; the unit of work records it even though the request then answers 401."""
    if row.ended_at is None:
        auth_sessions.end_session(row, reason)
    request.session.pop(SESSION_ID, None)


async def _session_principal(request: Request, db: AsyncSession) -> Principal | None:
    raw_id = request.session.get(SESSION_ID)
    if not isinstance(raw_id, str):
        return None
    row = await auth_sessions.active_session(db, raw_id)
    if row is None:
        request.session.pop(SESSION_ID, None)
        return None
    refreshed = await auth_sessions.keep_fresh(db, runtime(request.app).oidc, row)
    if row.ended_at is not None:
        _end(request, row, row.end_reason or "ended")
        return None
    if refreshed is not None:
        # Groups and roles may have changed in Keycloak since sign-in: check them again.
        try:
            claimed = await principal_from_claims(
                db, ClaimedAccess.from_claims(refreshed.access_claims)
            )
        except AccessRefused:
            _end(request, row, "access_withdrawn")
            return None
        if acting_key(claimed) != (row.acting_role, row.acting_scope_key):
            _end(request, row, "access_changed")
            return None
    principal = await resolve_principal(
        db, row.subject, acting_role=row.acting_role, acting_scope_key=row.acting_scope_key
    )
    if principal is None:
        _end(request, row, "membership_gone")
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise SignInRequired()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def requires(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the request through only with ``permission``."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not has_permission(principal, permission):
            raise Forbidden()
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-table test
    return check


async def in_own_scope(principal: CurrentPrincipal) -> Principal:
    """JSON routes on a regency's data act in the principal's own reach: their regency, or a
    supervisor's province (read only). A platform admin has no such reach (they open a regency
    through its pages), so these routes refuse them instead of touching tenant data unscoped."""
    if default_scope(principal) is None:
        raise Forbidden(
            "API ini untuk petugas kabupaten/kota dan supervisor provinsi. Admin platform "
            "membuka data kabupaten/kota lewat halaman wilayahnya."
        )
    return principal


async def public_route() -> None:
    """Marks a route that needs no sign-in (health, sign-in page, static)."""


public_route.permission = "public"  # type: ignore[attr-defined]
Public = Depends(public_route)


async def tenant_in_reach(
    db: AsyncSession, principal: Principal, code: str
) -> tuple[Tenant, TenantScope]:
    """The tenant ``code`` if this principal may read it, with the scope to read it in.

    Another tenant's pages answer 404 exactly like a code that does not exist.
    """
    tenant = await tenants.get_by_code(db, code)
    if tenant is None or not principal.can_read_tenant(tenant.id, tenant.province_code):
        raise NotFound("Halaman kabupaten/kota ini tidak ditemukan atau bukan wilayah Anda.")
    if principal.role in TENANT_ROLES:
        return tenant, TenantScope.single(tenant.id)
    return tenant, TenantScope.read_only({tenant.id})


@dataclass(frozen=True, slots=True)
class TenantContext:
    """A page of one regency: who asks, which tenant, whether they may change it, and what its
    routes read of it: its settings (the letter policy), the request's moment and the office's
    own day at it, and the cipher of its personal data."""

    principal: Principal
    tenant: Tenant
    #: The tenant's settings row (None before its head saves one: the defaults apply).
    settings: TenantSettings | None
    cipher: FieldCipher
    #: When the request came (UTC, from siaga_web.clock): one moment for the whole request.
    now: datetime

    @property
    def can_write(self) -> bool:
        return self.principal.role in TENANT_ROLES and self.principal.tenant_id == self.tenant.id

    @property
    def today(self) -> date:
        """The office's own calendar day (WIB, WITA or WIT): every business date of the page."""
        return registry.local_day(self.tenant, self.now)

    @property
    def letter_policy(self) -> LetterPolicy:
        return letter_policy(self.settings)


async def enter_tenant(
    db: AsyncSession, principal: Principal, code: str, cipher: FieldCipher
) -> TenantContext:
    """A regency's pages: reach (404 otherwise), then its scope (write for its own staff), then
    its settings, read in that scope."""
    tenant, scope = await tenant_in_reach(db, principal, code)
    await enter_scope(db, scope)
    settings = await registry.current_settings(db)
    return TenantContext(principal, tenant, settings, cipher, clock.now())


def in_tenant(permission: Permission) -> Callable[..., Awaitable[TenantContext]]:
    """A dependency for ``/wilayah/{code}/...`` routes: permission, reach, then scope."""
    check = requires(permission)

    async def resolve(
        request: Request,
        code: Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$")],
        db: DbSession,
        # A default, not Annotated: the string annotation could not see this local ``check``.
        principal: Principal = Depends(check),
    ) -> TenantContext:
        return await enter_tenant(db, principal, code, runtime(request.app).cipher)

    resolve.permission = permission  # type: ignore[attr-defined]
    return resolve


NOT_YOUR_PROVINCE = "Halaman provinsi ini tidak ditemukan atau bukan wilayah Anda."


@dataclass(frozen=True, slots=True)
class ProvinceContext:
    """A province's page: who asks, the province, its regencies (read in this request)."""

    principal: Principal
    code: str
    province: Province
    #: The province's tenants as registry rows (``registry.service.directory``).
    tenants: Sequence[Any]
    #: The province's regencies that have no tenant yet.
    unregistered: list[Any]


async def enter_province(db: AsyncSession, principal: Principal, code: str) -> ProvinceContext:
    """A province's pages: reach (404 otherwise, like a code that does not exist), then every
    regency of the province, read only (the route's dependency, and the warm-up's)."""
    found = await registry.province_directory(db, code)
    if found is None or not principal.can_read_province(code):
        raise NotFound(NOT_YOUR_PROVINCE)
    await enter_scope(db, TenantScope.read_only({t.id for t in found.tenants}))
    return ProvinceContext(principal, code, found.province, found.tenants, found.unregistered)


def in_province(permission: Permission) -> Callable[..., Awaitable[ProvinceContext]]:
    """A dependency for ``/provinsi/{code}`` pages: permission, reach, then the province's
    read scope."""
    check = requires(permission)

    async def resolve(
        code: Annotated[str, Path(pattern=r"^\d{2}$")],
        db: DbSession,
        principal: Principal = Depends(check),
    ) -> ProvinceContext:
        return await enter_province(db, principal, code)

    resolve.permission = permission  # type: ignore[attr-defined]
    return resolve


async def enter_nation(db: AsyncSession) -> Sequence[Any]:
    """Every regency of the platform (registry rows), read in one national scope: the national
    page (the caller's permission checked by its route) and the warm-up."""
    everyone = await registry.directory(db)
    await enter_scope(db, TenantScope.national({t.id for t in everyone}))
    return everyone


async def enter_regencies(db: AsyncSession, tenant_ids: Iterable[uuid.UUID]) -> None:
    """Read (only) these regencies: the caller has checked they are the asker's to read (a
    province's alerts, an election's regencies)."""
    await enter_scope(db, TenantScope.read_only(frozenset(tenant_ids)))


async def enter_own_province(db: AsyncSession, principal: Principal, code: str) -> None:
    """A supervisor's own province, read only: where a supervisor's decision starts (a loan,
    an incident's acknowledgement; the service narrows to the regency it writes)."""
    if not principal.can_read_province(code):
        raise NotFound(NOT_YOUR_PROVINCE)
    await enter_scope(db, TenantScope.read_only(principal.province_tenant_ids))


def reading_one(db: AsyncSession, tenant_id: uuid.UUID) -> AbstractAsyncContextManager[None]:
    """A block that reads one regency only (the public letter check), then the scope before."""
    return acting_for(db, TenantScope.read_only({tenant_id}))


def writing_one(db: AsyncSession, tenant_id: uuid.UUID) -> AbstractAsyncContextManager[None]:
    """A block that may write one regency (a supervisor answering that regency's alert, found
    in the province's read scope), then the scope before."""
    return acting_for(db, TenantScope.single(tenant_id))
