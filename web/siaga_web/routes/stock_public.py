"""The public stock notice of a regency: no sign-in, cached a minute, rate-limited."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from siaga_platform.errors import NotFound
from siaga_platform.stock import service
from siaga_tenants.registry import service as registry
from siaga_web import clock
from siaga_web.deps import DbSession, Public
from siaga_web.ratelimit import PUBLIC_STOCK, TtlCache, per_client
from siaga_web.runtime import runtime
from siaga_web.templating import render

router = APIRouter(tags=["stock"])


@router.get("/publik/{code}/blanko", dependencies=[Public, Depends(per_client(PUBLIC_STOCK))])
async def public_stock(request: Request, db: DbSession, code: str) -> Response:
    """Today's stock of blank cards, the notice offices are asked to publish: no sign-in,
    cached a minute and rate-limited per client."""
    cache: TtlCache = runtime(request.app).public_cache
    values = cache.get(code)
    if values is None:
        tenant = await registry.tenant_by_code(db, code)
        if tenant is None or not tenant.is_active:
            raise NotFound("Kabupaten/kota ini tidak ditemukan.")
        values = {
            "tenant_name": tenant.name,
            "on_hand": await service.public_balance(db, tenant.id),
            "as_of": clock.now(),
        }
        cache.put(code, values)
    response = render(
        request,
        "pages/stock/public.html",
        dict(values),  # type: ignore[call-overload]
        public_page=True,
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
