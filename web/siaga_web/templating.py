"""Jinja2 + jinja2-fragments: a page and its HTMX fragments share one template.

An ``HX-Request`` gets only the named block; every such response varies on ``HX-Request``.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.responses import Response

from siaga_platform.alerts import summaries
from siaga_platform.notify.local_time import format_local_time
from siaga_platform.observability.request_context import current_request_id
from siaga_platform.text import N_
from siaga_web import actors, i18n
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


def _page_zone(context: dict[str, Any] | None) -> str:
    """The zone a page's times are shown in: its regency's, else its province's, else WIB."""
    for key in ("tenant", "province"):
        zone = getattr((context or {}).get(key), "timezone", None)
        if zone:
            return str(getattr(zone, "value", zone))
    return "WIB"


#: A device's readings (free JSON from its agent): the keys people know, labelled.
READING_LABELS = {"note": N_("Catatan")}


def _summary(summary: str | None, gettext: Any, language: str) -> str:
    """An alert's stored (Indonesian) summary in the reader's language, through the catalog."""
    if not summary:
        return ""
    found = summaries.read(summary)
    if found is None:
        return summary  # an older wording: shown as stored
    key, values = found
    shown = {
        name: value if isinstance(value, str) else i18n.format_number(value, language)
        for name, value in values.items()
    }
    return str(gettext(summaries.SENTENCES[key])).format(**shown)


def _readings(readings: Any, gettext: Any, language: str) -> str:
    """A device's readings as ``Catatan: listrik padam`` (never the raw dict)."""
    if not readings:
        return "–"
    if not isinstance(readings, dict):
        return str(readings)
    parts = []
    for key, value in readings.items():
        shown = (
            i18n.format_number(value, language)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else _readings(value, gettext, language)
            if isinstance(value, dict)
            else ", ".join(str(v) for v in value)
            if isinstance(value, list)
            else str(value)
        )
        name = gettext(READING_LABELS[key]) if key in READING_LABELS else str(key)
        parts.append(f"{name}: {shown}")
    return " · ".join(parts)


def request_language(request: Request) -> str:
    return i18n.pick_language(request.cookies.get(i18n.LANGUAGE_COOKIE))


def page_values(
    context: dict[str, Any] | None,
    *,
    language: str,
    csrf: str,
    principal: Any,
    unread: Any,
    public_page: bool,
    path: str,
) -> dict[str, Any]:
    """What every template sees (the reader's language and its helpers, the CSRF token, who is
    signed in), then ``context`` with its label tables translated: shared by ``render`` and
    ``render_page``."""
    translations = i18n.translations(language)
    values: dict[str, Any] = {
        "lang": language,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "_": translations.gettext,
        "angka": lambda v, digits=None: i18n.format_number(v, language, digits),
        "persen": lambda v, digits=1: i18n.format_percent(v, language, digits),
        "tanggal": lambda v: i18n.format_day(v, language),
        "csrf_token": csrf,
        "principal": principal,
        "public_page": public_page,
        "page_path": path,
        "waktu": lambda moment, zone=None: (
            format_local_time(moment, zone or _page_zone(context)) if moment else "–"
        ),
        "ringkasan": lambda summary: _summary(summary, translations.gettext, language),
        "bacaan": lambda readings: _readings(readings, translations.gettext, language),
        "pelaku": lambda subject, known=None: actors.label(subject, known, translations.gettext),
        "unread": unread,
    }
    for key, value in (context or {}).items():
        # Label tables (``labels``, ``*_labels``) hold Indonesian source strings marked N_():
        # translate them here, once, for the request's language.
        if (key == "labels" or key.endswith("_labels")) and isinstance(value, dict):
            value = {
                k: translations.gettext(v) if isinstance(v, str) else v for k, v in value.items()
            }
        values[key] = value
    return values


def render_page(template: str, context: dict[str, Any], *, principal: Any, path: str) -> str:
    """A whole page as HTML without a request (the start's warm-up): in Indonesian, with a
    fresh CSRF token, nothing flashed."""
    values = page_values(
        context,
        language=i18n.pick_language(None),
        csrf=secrets.token_urlsafe(32),
        principal=principal,
        unread=None,
        public_page=False,
        path=path,
    )
    values.setdefault("selesai", None)
    return templates.get_template(template).render(values)


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
    values = page_values(
        context,
        language=request_language(request),
        csrf="" if public_page else csrf_token(request),
        principal=None if public_page else getattr(request.state, "principal", None),
        unread=None if public_page else getattr(request.state, "unread", None),
        public_page=public_page,
        path=request.url.path,
    )
    is_htmx = request.headers.get("hx-request") == "true"
    if not public_page and not is_htmx and status_code < 400 and "session" in request.scope:
        # What the last write did, shown once on the page its redirect leads to.
        values.setdefault("selesai", request.session.pop(FLASH_KEY, None))
    response: Response = templates.TemplateResponse(
        request,
        template,
        values,
        status_code=status_code,
        block_name=block if is_htmx and block else None,
    )
    response.headers["Vary"] = "HX-Request, Cookie"
    if is_htmx and status_code >= 400:
        # A refusal shown in place never becomes the address of the page.
        response.headers["HX-Push-Url"] = "false"
    return response


FLASH_KEY = "selesai"
#: The session key of a loan decision's one-time note on the province page.
LOAN_MESSAGE = "loan_message"


def flash(
    request: Request,
    message: str,
    *,
    link: str | None = None,
    link_text: str | None = None,
    **values: object,
) -> None:
    """Say what a write did (``message``: an Indonesian source string marked N_(), with
    ``{name}`` fields), with a link to what it made or changed. Shown once, on the next page
    rendered for this person (after the redirect), in their language."""
    language = request_language(request)
    translations = i18n.translations(language)
    shown = {
        key: i18n.format_day(value, language)
        if isinstance(value, date)
        else i18n.format_number(value, language)
        if isinstance(value, int)
        else value
        for key, value in values.items()
    }
    request.session[FLASH_KEY] = {
        "text": translations.gettext(message).format(**shown),
        "link": link,
        "link_text": translations.gettext(link_text) if link_text else None,
    }


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def same_site_path(request: Request, url: str | None) -> str | None:
    """The path and query of ``url`` when it points at this site, else None (a link offered to
    go back or reload never leads elsewhere)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def render_refusal(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    public_page: bool = False,
    field: str | None = None,
) -> Response:
    """A request refused or failed, shown where the person is looking, with the way forward.

    An htmx request gets a short notice swapped into the page's refusal region (#pesan-galat,
    fixed at the bottom of the screen); a page load gets the error page. A conflict offers a
    reload of the page the person is on; a server failure carries the request id."""
    htmx = is_htmx(request)
    current = request.headers.get("hx-current-url") if htmx else None
    values = {
        "title": title,
        "message": message,
        "status": status,
        "request_id": current_request_id() or "-",
        "reload_url": same_site_path(request, current or request.headers.get("referer"))
        or (request.url.path if request.method == "GET" else None),
        "back_url": None if htmx else same_site_path(request, request.headers.get("referer")),
        # The form field refused, marked invalid in place by static/js/siaga.js.
        "field": field,
    }
    if htmx:
        response = render(
            request,
            "partials/refusal.html",
            values,
            status_code=status,
            public_page=public_page,
        )
        response.headers["HX-Retarget"] = "#pesan-galat"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render(
        request,
        "pages/error.html",
        values,
        block="content",
        status_code=status,
        public_page=public_page,
    )
