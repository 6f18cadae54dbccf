"""JSON API for integrations: Bearer access tokens from the same realm (audience checked), or
the browser session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from siaga_platform.auth.permissions import Permission
from siaga_platform.auth.principal import Principal
from siaga_web.deps import requires

router = APIRouter(prefix="/api/v1", tags=["api"])


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
