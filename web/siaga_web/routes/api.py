"""JSON API for integrations: Bearer access tokens from the same realm (audience checked), or
the browser session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from siaga_platform.auth.permissions import Permission
from siaga_platform.auth.principal import Principal
from siaga_tenants.registry.service import provision_tenant
from siaga_web.csrf import verify_csrf_unless_bearer
from siaga_web.deps import DbSession, requires
from siaga_web.ratelimit import api_rate_limit

router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    dependencies=[Depends(api_rate_limit), Depends(verify_csrf_unless_bearer)],
)


class Me(BaseModel):
    subject: str
    display_name: str
    role: str
    tenant_code: str | None
    province_code: str | None


@router.get("/me", response_model=Me)
async def me(
    principal: Annotated[Principal, Depends(requires(Permission.VIEW_SELF))],
) -> Me:
    """Who the token or session acts as, per Siaga's membership table."""
    return Me(
        subject=principal.subject,
        display_name=principal.display_name,
        role=principal.role.value,
        tenant_code=principal.tenant_code,
        province_code=principal.province_code,
    )


class ProvisionRequest(BaseModel):
    code: str


class TenantOut(BaseModel):
    id: str
    code: str
    name: str
    kind: str
    province_code: str
    timezone: str
    status: str
    population: int | None


@router.post("/tenants", response_model=TenantOut, status_code=201)
async def provision(
    body: ProvisionRequest,
    db: DbSession,
    principal: Annotated[Principal, Depends(requires(Permission.PROVISION_TENANT))],
) -> TenantOut:
    """Provision the tenant of a Kemendagri regency code (platform admins); idempotent."""
    tenant = await provision_tenant(db, body.code, actor_subject=principal.subject)
    return TenantOut(
        id=str(tenant.id),
        code=tenant.code,
        name=tenant.name,
        kind=tenant.kind,
        province_code=tenant.province_code,
        timezone=tenant.timezone,
        status=tenant.status,
        population=tenant.population,
    )
