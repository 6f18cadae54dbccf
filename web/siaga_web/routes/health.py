from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from siaga_web.deps import Public

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[Public])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Public], response_model=None)
async def readyz(request: Request) -> JSONResponse:
    """The database answers."""
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("select 1"))
    except (SQLAlchemyError, OSError):
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "unreachable",
                "detail": "Basis data tidak dapat dihubungi. Coba lagi sebentar lagi.",
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ok", "database": "ok"})
