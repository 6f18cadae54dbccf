"""Turning a subject into a principal, and granting memberships."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import TENANT_ROLES, Principal, Role
from siaga_tenants.memberships import repository
from siaga_tenants.memberships.models import Membership, User, scope_key_for
from siaga_tenants.registry import repository as tenants

# When a user holds several memberships, act with the widest one first.
_ROLE_ORDER = [Role.ADMIN_PLATFORM, Role.SUPERVISOR_PROVINSI, Role.KEPALA_DINAS, Role.OPERATOR]


async def resolve_principal(session: AsyncSession, subject: str) -> Principal | None:
    """The principal the local tables allow for ``subject``; None if they allow nothing.

    A membership of a suspended tenant grants nothing.
    """
    user = await repository.get_user(session, subject)
    if user is None:
        return None
    memberships = sorted(
        await repository.memberships_of(session, subject),
        key=lambda m: _ROLE_ORDER.index(Role(m.role)),
    )
    for membership in memberships:
        role = Role(membership.role)
        if role in TENANT_ROLES and membership.tenant_id is not None:
            tenant = await tenants.get(session, membership.tenant_id)
            if tenant is None or not tenant.is_active:
                continue
            return Principal(
                subject=subject,
                display_name=user.display_name,
                role=role,
                tenant_id=tenant.id,
                tenant_code=tenant.code,
                province_code=tenant.province_code,
            )
        if role is Role.SUPERVISOR_PROVINSI and membership.province_code:
            return Principal(
                subject=subject,
                display_name=user.display_name,
                role=role,
                province_code=membership.province_code,
                province_tenant_ids=await tenants.active_ids_in_province(
                    session, membership.province_code
                ),
            )
        if role is Role.ADMIN_PLATFORM:
            return Principal(subject=subject, display_name=user.display_name, role=role)
    return None


async def ensure_user(
    session: AsyncSession,
    subject: str,
    display_name: str,
    *,
    email: str | None = None,
    is_demo: bool = False,
) -> User:
    user = await repository.get_user(session, subject)
    if user is None:
        user = User(subject=subject, display_name=display_name, email=email, is_demo=is_demo)
        session.add(user)
    else:
        user.display_name = display_name
        user.email = email
    await session.flush()
    return user


async def grant(
    session: AsyncSession,
    subject: str,
    role: Role,
    *,
    tenant_id: uuid.UUID | None = None,
    province_code: str | None = None,
) -> Membership:
    """Give ``subject`` a role in a tenant, a province or the platform (idempotent)."""
    key = scope_key_for(role, tenant_id, province_code)
    existing = await repository.find_membership(session, subject, key, role)
    if existing is not None:
        return existing
    membership = Membership(
        user_subject=subject,
        role=role,
        tenant_id=tenant_id,
        province_code=province_code,
        scope_key=key,
    )
    session.add(membership)
    await session.flush()
    return membership
