from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from siaga_web.csrf import verify_csrf
from siaga_web.deps import Public
from siaga_web.i18n import LANGUAGE_COOKIE, pick_language

router = APIRouter(tags=["language"])


def _safe_next(value: str) -> str:
    """Only same-site paths: never an open redirect."""
    return value if value.startswith("/") and not value.startswith("//") else "/"


@router.post("/bahasa", dependencies=[Public, Depends(verify_csrf)])
async def switch_language(
    lang: Annotated[str, Form(max_length=5)], next: Annotated[str, Form(max_length=500)] = "/"
) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE, pick_language(lang), max_age=365 * 24 * 3600, samesite="lax"
    )
    return response
