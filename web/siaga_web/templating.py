"""Jinja2 + jinja2-fragments: a page and its HTMX fragments share one template.

An ``HX-Request`` gets only the named block; every such response varies on ``HX-Request``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.responses import Response

from siaga_platform.notify.local_time import format_local_time
from siaga_web import i18n
from siaga_web.csrf import csrf_token

templates = Jinja2Blocks(directory=str(Path(__file__).parent / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.policies["ext.i18n.trimmed"] = True


def compile_all() -> int:
    """Compile every template once at startup, so no visitor waits for it."""
    names = templates.env.list_templates(extensions=["html"])
    for name in names:
        templates.env.get_template(name)
    return len(names)


def request_language(request: Request) -> str:
    return i18n.pick_language(request.cookies.get(i18n.LANGUAGE_COOKIE))


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    public_page: bool = False,
) -> Response:
    """Render a page, or only ``block`` of it when htmx asks for a fragment.

    ``public_page``: a page shared caches may keep; nothing of the visitor's session goes into
    it (no CSRF token, no name), and no session is started for it.
    """
    language = request_language(request)
    translations = i18n.translations(language)
    values: dict[str, Any] = {
        "lang": language,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "_": translations.gettext,
        "angka": lambda v: i18n.format_number(v, language),
        "tanggal": lambda v: i18n.format_day(v, language),
        "csrf_token": "" if public_page else csrf_token(request),
        "principal": None if public_page else getattr(request.state, "principal", None),
        "public_page": public_page,
        "waktu": format_local_time,
        "unread": None if public_page else getattr(request.state, "unread", None),
    }
    for key, value in (context or {}).items():
        # Label tables (``labels``, ``*_labels``) hold Indonesian source strings marked N_():
        # translate them here, once, for the request's language.
        if (key == "labels" or key.endswith("_labels")) and isinstance(value, dict):
            value = {
                k: translations.gettext(v) if isinstance(v, str) else v for k, v in value.items()
            }
        values[key] = value
    is_htmx = request.headers.get("hx-request") == "true"
    response: Response = templates.TemplateResponse(
        request,
        template,
        values,
        status_code=status_code,
        block_name=block if is_htmx and block else None,
    )
    response.headers["Vary"] = "HX-Request, Cookie"
    return response
