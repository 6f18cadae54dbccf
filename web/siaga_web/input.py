"""One check on every text a request brings: query string, address, form fields and JSON; and
the one place where an empty field of a page's query string means "any" (BlankMeansAny).

Applied to every router in the composition root, so no route can forget it. Only a body the
route itself reads (FastAPI has parsed it before any dependency runs) is looked at: upload routes
read their file only after sign-in and permission, and a file part is not a text field (an
import reports its own bad rows).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from siaga_platform.errors import NotFound
from siaga_platform.text import has_control_characters, refuse_control_characters

# JSON carries a control character only escaped: \u0000-\u001f, or \b and \f.
_JSON_HINTS = (b"\\u00", b"\\b", b"\\f")


def _walk_json(value: Any, path: str) -> None:
    if isinstance(value, str):
        refuse_control_characters(value, field=path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            refuse_control_characters(str(key), field=where)
            _walk_json(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_json(item, f"{path}.{index}" if path else str(index))


async def refuse_control_text(request: Request) -> None:
    """422 naming the field (404 for an address part) when any text carries a C0 control
    character other than tab, newline or carriage return."""
    if any(isinstance(v, str) and has_control_characters(v) for v in request.path_params.values()):
        raise NotFound("Halaman tidak ditemukan. Periksa alamatnya.")
    for key, value in request.query_params.multi_items():
        refuse_control_characters(key, field=key)
        refuse_control_characters(value, field=key)
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None:
        return  # the route reads no body: never read one here (uploads included)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # already parsed by FastAPI for the route's body
        for key, field_value in form.multi_items():
            if isinstance(field_value, str):  # file parts are not text fields
                refuse_control_characters(key, field=key)
                refuse_control_characters(field_value, field=key)
    else:
        body = await request.body()  # already read by FastAPI for the route's JSON body
        if any(hint in body for hint in _JSON_HINTS):
            try:
                parsed = json.loads(body)
            except ValueError:
                return  # not JSON: FastAPI has answered 422 already
            _walk_json(parsed, "")


def without_blank_fields(query_string: bytes) -> bytes:
    """The query string without its empty fields (``status=&dari=`` → ``''``): the order and
    the encoding of the others are kept as sent."""
    if not query_string:
        return query_string
    kept = [part for part in query_string.split(b"&") if part.partition(b"=")[2].strip(b"+")]
    return b"&".join(kept)


class BlankMeansAny:
    """A filter form sends every field, the empty ones too: "Semua" in a select, a date left
    blank. On the pages people use, an empty field means "any", so it is dropped here, once,
    before any route reads its parameters (they answered 422 to ``?alasan=``). The JSON API
    keeps its strict reading: a program that sends an empty value is told so."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/api/"):
            original = scope.get("query_string", b"")
            cleaned = without_blank_fields(original)
            if cleaned != original:
                scope = {**scope, "query_string": cleaned}
        await self.app(scope, receive, send)
