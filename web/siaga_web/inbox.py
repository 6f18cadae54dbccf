"""The regencies a person's inbox spans, and the header's unread badge."""

from __future__ import annotations

import uuid

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.auth.principal import TENANT_ROLES, Principal, Role
from siaga_platform.delivery import service
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.models import TenantStatus


async def reach_of(db: AsyncSession, principal: Principal) -> frozenset[uuid.UUID]:
    """Every regency whose alerts may be in this person's inbox."""
    if principal.role in TENANT_ROLES:
        return frozenset({principal.tenant_id}) if principal.tenant_id else frozenset()
    if principal.role is Role.SUPERVISOR_PROVINSI:
        return principal.province_tenant_ids
    # A platform admin: the registry's active regencies (a small reference table).
    return frozenset(
        row.id for row in await tenants.directory(db) if row.status == TenantStatus.ACTIVE
    )


def wants_page(request: Request) -> bool:
    """A full page in a browser: the only response that shows the header."""
    return (
        request.method == "GET"
        and request.headers.get("hx-request") != "true"
        and "application/json" not in request.headers.get("accept", "")
        and not request.url.path.startswith("/api/")
    )


async def note_unread(request: Request, db: AsyncSession, principal: Principal) -> None:
    """The unread count for the header, kept on the request for ``render``."""
    request.state.unread = await service.unread(
        db, principal.subject, await reach_of(db, principal)
    )
