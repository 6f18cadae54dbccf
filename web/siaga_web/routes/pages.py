"""The home redirect and the regency home (operators); the province and national pages are
in ``rollup.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from siaga_platform.auth.permissions import Permission, has_permission
from siaga_platform.auth.principal import Principal
from siaga_platform.rollup.rows import read_rows
from siaga_tenants.domain_inputs.rollup import rollup_regencies
from siaga_tenants.regions import service as regions
from siaga_tenants.registry import service as registry
from siaga_web.alert_strip import strip
from siaga_web.deps import DbSession, Public, enter_tenant, optional_principal, requires
from siaga_web.i18n import ago
from siaga_web.labels import CAUSE_LABELS, LEVEL_WORDS, STAGE_LABELS
from siaga_web.runtime import runtime
from siaga_web.templating import render

router = APIRouter(tags=["pages"])

RegencyCode = Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$")]
ProvinceCode = Annotated[str, Path(pattern=r"^\d{2}$")]


@router.get("/", dependencies=[Public])
async def home(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Response:
    return RedirectResponse(principal.home_path if principal else "/masuk", status_code=303)


@router.get("/wilayah/{code}")
async def regency_home(
    request: Request,
    db: DbSession,
    code: RegencyCode,
    principal: Annotated[Principal, Depends(requires(Permission.VIEW_TENANT))],
) -> Response:
    context = await enter_tenant(db, principal, code, runtime(request.app).cipher)
    tenant, now = context.tenant, context.now
    # The office's day as the province page reads it: one row from the maintained summaries.
    [row] = await read_rows(db, await rollup_regencies(db, [tenant], now), now=now)
    return render(
        request,
        "pages/regency.html",
        {
            "tenant": tenant,
            "row": row,
            # The elections page lists the office's letters to renew: its own staff only.
            "can_see_elections": principal.tenant_id == tenant.id
            and has_permission(principal, Permission.MANAGE_LETTERS),
            "now": now,
            "ago": lambda moment, gettext=str: ago(moment, now, gettext),
            "level_words": LEVEL_WORDS,
            "stage_labels": STAGE_LABELS,
            "cause_labels": CAUSE_LABELS,
            "province": await regions.province(db, tenant.province_code),
            "kecamatan": await regions.kecamatan_of(db, tenant.code),
            "settings": await registry.current_settings(db),
            **(
                await strip(
                    db, link=f"/wilayah/{code}/peringatan", tenants_in=[tenant], with_names=False
                )
                if has_permission(principal, Permission.VIEW_ALERTS)
                else {}
            ),
        },
    )
