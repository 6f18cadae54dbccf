"""Turning a subject (or a token's claims) into a principal, and granting memberships.

The local membership table is the authority on what a Keycloak claim may grant:
- a regency group (``/62/62.12``) with a tenant role (operator, kepala_dinas) grants that role in
  that tenant only if the tenant is known and active; the first such sign-in creates the local
  membership just in time, audited in the tenant's audit trail;
- a province group (``/62``) with supervisor_provinsi, and admin_platform, grant only what a
  platform admin already granted here: a token alone never makes a supervisor or an admin.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit import service as audit
from siaga_platform.auth.principal import TENANT_ROLES, Principal, Role
from siaga_platform.errors import Forbidden
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_tenants.memberships import repository
from siaga_tenants.memberships.models import Membership, User, scope_key_for
from siaga_tenants.regions.codes import normalize_regency_code
from siaga_tenants.registry import repository as tenants

# When a user holds several memberships, act with the widest one first.
ROLE_ORDER = [Role.ADMIN_PLATFORM, Role.SUPERVISOR_PROVINSI, Role.KEPALA_DINAS, Role.OPERATOR]


class AccessRefused(Forbidden):
    """The token is genuine, but Siaga's own table grants it nothing; says whom to ask."""


async def _principal_for(db: AsyncSession, user: User, membership: Membership) -> Principal | None:
    role = Role(membership.role)
    if role in TENANT_ROLES and membership.tenant_id is not None:
        tenant = await tenants.get(db, membership.tenant_id)
        if tenant is None or not tenant.is_active:
            return None
        return Principal(
            subject=user.subject,
            display_name=user.display_name,
            role=role,
            tenant_id=tenant.id,
            tenant_code=tenant.code,
            province_code=tenant.province_code,
        )
    if role is Role.SUPERVISOR_PROVINSI and membership.province_code:
        return Principal(
            subject=user.subject,
            display_name=user.display_name,
            role=role,
            province_code=membership.province_code,
            province_tenant_ids=await tenants.active_ids_in_province(db, membership.province_code),
        )
    if role is Role.ADMIN_PLATFORM:
        return Principal(subject=user.subject, display_name=user.display_name, role=role)
    return None


async def resolve_principal(
    db: AsyncSession,
    subject: str,
    *,
    acting_role: str | None = None,
    acting_scope_key: str | None = None,
) -> Principal | None:
    """The principal the local tables allow for ``subject``; None if they allow nothing.

    With ``acting_*`` only that membership counts (a session acts with the one it signed in
    with). A membership of a suspended tenant grants nothing.
    """
    user = await repository.get_user(db, subject)
    if user is None:
        return None
    memberships = sorted(
        await repository.memberships_of(db, subject),
        key=lambda m: ROLE_ORDER.index(Role(m.role)),
    )
    for membership in memberships:
        if acting_role is not None and (
            membership.role != acting_role or membership.scope_key != acting_scope_key
        ):
            continue
        principal = await _principal_for(db, user, membership)
        if principal is not None:
            return principal
    return None


def acting_key(principal: Principal) -> tuple[str, str]:
    """(role, scope key) of the membership a principal acts with."""
    return principal.role.value, scope_key_for(
        principal.role, principal.tenant_id, principal.province_code
    )


@dataclass(frozen=True, slots=True)
class ClaimedAccess:
    subject: str
    display_name: str
    email: str | None
    roles: frozenset[str]
    groups: tuple[str, ...]

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> ClaimedAccess:
        roles = claims.get("roles")
        if not isinstance(roles, list):
            realm_access = claims.get("realm_access")
            roles = realm_access.get("roles", []) if isinstance(realm_access, dict) else []
        groups = claims.get("groups") if isinstance(claims.get("groups"), list) else []
        name = claims.get("name") or claims.get("preferred_username") or str(claims["sub"])
        return cls(
            subject=str(claims["sub"]),
            display_name=str(name)[:160],
            email=claims.get("email"),
            roles=frozenset(str(r) for r in roles),
            groups=tuple(str(g) for g in groups or []),
        )

    def regency_codes(self) -> list[str]:
        """Regency codes of ``/PP/PP.RR`` groups (the province part must match)."""
        codes = []
        for group in self.groups:
            parts = group.strip("/").split("/")
            if len(parts) == 2:
                code = normalize_regency_code(parts[1])
                if code and code[:2] == parts[0]:
                    codes.append(code)
        return codes

    def province_codes(self) -> list[str]:
        return [
            g.strip("/") for g in self.groups if g.strip("/").isdigit() and len(g.strip("/")) == 2
        ]


async def _existing(db: AsyncSession, subject: str, role: Role, key: str) -> Membership | None:
    return await repository.find_membership(db, subject, key, role)


async def principal_from_claims(db: AsyncSession, access: ClaimedAccess) -> Principal:
    """The principal a validated token may act as; raises AccessRefused saying whom to ask."""
    refusals: list[str] = []
    for role in ROLE_ORDER:
        if role.value not in access.roles:
            continue
        if role in TENANT_ROLES:
            for code in access.regency_codes():
                principal = await _tenant_member(db, access, role, code, refusals)
                if principal is not None:
                    return principal
            continue
        scopes: Iterable[str | None] = (
            access.province_codes() if role is Role.SUPERVISOR_PROVINSI else [None]
        )
        for province in scopes:
            key = scope_key_for(role, None, province)
            membership = await _existing(db, access.subject, role, key)
            user = await repository.get_user(db, access.subject)
            if membership is None or user is None:
                refusals.append(
                    f"Peran {role.value} Anda belum disetujui di Siaga. Minta admin platform "
                    "Siaga memberikan akses itu."
                )
                continue
            principal = await _principal_for(db, user, membership)
            if principal is not None:
                await ensure_user(db, access.subject, access.display_name, email=access.email)
                return principal
    if not refusals:
        refusals.append(
            "Akun Anda belum punya peran dan wilayah di Keycloak. Minta admin Keycloak dinas Anda "
            "menambahkan grup wilayah (mis. /62/62.12) dan peran (mis. operator)."
        )
    raise AccessRefused(refusals[0])


async def _tenant_member(
    db: AsyncSession, access: ClaimedAccess, role: Role, code: str, refusals: list[str]
) -> Principal | None:
    tenant = await tenants.get_by_code(db, code)
    if tenant is None:
        refusals.append(
            f"Wilayah {code} pada akun Keycloak Anda belum terdaftar di Siaga. Minta admin "
            f"platform Siaga mendaftarkannya (siaga tenants provision {code})."
        )
        return None
    if not tenant.is_active:
        refusals.append(
            f"{tenant.name} sedang ditangguhkan di Siaga. Hubungi admin platform Siaga."
        )
        return None
    user = await ensure_user(db, access.subject, access.display_name, email=access.email)
    key = scope_key_for(role, tenant.id, None)
    membership = await _existing(db, access.subject, role, key)
    if membership is None:
        membership = await grant(db, access.subject, role, tenant_id=tenant.id)
        async with system_scope(
            db, TenantScope.single(tenant.id), why="memberships.service._tenant_member"
        ):
            await audit.record(
                db,
                tenant_id=tenant.id,
                actor_subject=access.subject,
                action="membership.created_at_first_sign_in",
                object_type="membership",
                object_id=str(membership.id),
                details={"role": role.value, "source": "keycloak"},
            )
    return await _principal_for(db, user, membership)


async def ensure_user(
    db: AsyncSession,
    subject: str,
    display_name: str,
    *,
    email: str | None = None,
    is_demo: bool = False,
) -> User:
    user = await repository.get_user(db, subject)
    if user is None:
        user = User(subject=subject, display_name=display_name, email=email, is_demo=is_demo)
        db.add(user)
    else:
        user.display_name = display_name
        user.email = email or user.email
    await db.flush()
    return user


async def grant(
    db: AsyncSession,
    subject: str,
    role: Role,
    *,
    tenant_id: uuid.UUID | None = None,
    province_code: str | None = None,
) -> Membership:
    """Give ``subject`` a role in a tenant, a province or the platform (idempotent)."""
    key = scope_key_for(role, tenant_id, province_code)
    existing = await repository.find_membership(db, subject, key, role)
    if existing is not None:
        return existing
    membership = Membership(
        user_subject=subject,
        role=role,
        tenant_id=tenant_id,
        province_code=province_code,
        scope_key=key,
    )
    db.add(membership)
    await db.flush()
    return membership


async def user(db: AsyncSession, subject: str) -> User | None:
    """A person known to Siaga, by SSO subject."""
    return await repository.get_user(db, subject)


async def demo_users(db: AsyncSession) -> Sequence[tuple[User, Membership]]:
    """The demo people with each of their memberships (the demo sign-in page lists them)."""
    return await repository.demo_users(db)
