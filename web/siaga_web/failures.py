"""The one place that answers a request whose handling failed unexpectedly.

- The database away (refused, restarting, a connection lost mid-request, no pooled connection
  free in time): 503 with ``Retry-After``, JSON for the API, a short page for people.
- Anything else unhandled: a complete 500 carrying the request id, logged and reported.

Why a middleware and not an exception handler: Starlette answers an unhandled error with a
plain-text 500 and then re-raises it, and uvicorn then closes the keep-alive connection without
``Connection: close``, so the client's next request on it failed as well. Answered here, the
error goes no further and the connection stays usable. Registered innermost (inside the request
id, security headers and session middleware), so the answer carries all of them.
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
from collections.abc import Iterator

import psycopg
import sentry_sdk
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siaga_platform.observability.request_context import current_request_id
from siaga_platform.observability.scrub import scrub_text
from siaga_web.templating import render_refusal

log = logging.getLogger("siaga.web.failures")

#: Seconds a client waits before trying again: a database restart or fail-over takes a few.
RETRY_AFTER_SECONDS = 5

UNAVAILABLE_API = (
    "Basis data sedang tidak tersedia; permintaan ini belum diproses. "
    f"Kirim ulang setelah {RETRY_AFTER_SECONDS} detik."
)
UNAVAILABLE_TITLE = "Layanan sedang terganggu"
UNAVAILABLE_PAGE = (
    "Basis data Siaga sedang tidak tersedia, jadi halaman ini belum bisa dibuka dan isian "
    "yang baru dikirim belum tersimpan. Tunggu sebentar, lalu muat ulang halaman "
    "(atau kirim ulang isiannya). Bila masih begini setelah beberapa menit, hubungi admin "
    "Disdukcapil."
)
FAILED_TITLE = "Terjadi kesalahan"


def _failed_message(request_id: str) -> str:
    return (
        "Terjadi kesalahan di server; permintaan ini mungkin belum tersimpan. Coba lagi "
        f"sebentar lagi. Bila berulang, laporkan kode {request_id} kepada admin."
    )


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it was raised from, and the members of exception groups."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


def _sqlite_statement_error(error: sa_exc.DBAPIError) -> bool:
    """SQLite calls a missing table an "OperationalError" too; only a locked or unreadable
    database file means the database is away."""
    if not isinstance(error.orig, sqlite3.OperationalError):
        return False
    text = str(error.orig).lower()
    return "locked" not in text and "unable to open" not in text


def database_unavailable(error: BaseException) -> bool:
    """Whether the request failed because the database could not be reached or used.

    PostgreSQL's deadlocks and serialization failures are OperationalErrors too (class 40):
    those also get 503 with Retry-After, since the same request succeeds when sent again."""
    for cause in _chain(error):
        if isinstance(cause, sa_exc.DBAPIError):
            if cause.connection_invalidated:
                return True
            if isinstance(cause, sa_exc.OperationalError | sa_exc.InterfaceError):
                return not _sqlite_statement_error(cause)
        if isinstance(cause, sa_exc.TimeoutError):  # the pool had no connection free in time
            return True
        if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
            return True  # the driver's own, where SQLAlchemy did not wrap it
    return False


def describe(error: BaseException) -> str:
    """The traceback for the log. Exception texts from the database carry no parameters and no
    row values (see siaga_platform.db.engine); NIK-like runs are masked all the same."""
    return scrub_text("".join(traceback.format_exception(error)))


class FailureGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except (HTTPException, ClientDisconnect):
            raise  # answered further out (413 while the body streams) or nobody to answer
        except Exception as error:
            if started:
                # Half an answer is out: only closing the connection tells the client.
                log.error("failed after the answer started\n%s", describe(error))
                raise
            response = answer(Request(scope), error)
            await response(scope, receive, send)


def answer(request: Request, error: Exception) -> Response:
    request_id = current_request_id() or "-"
    where = f"{request.method} {scrub_text(request.url.path)} (request {request_id})"
    if database_unavailable(error):
        # Once per request during an outage: one line, no traceback.
        first_line = (str(error).splitlines() or [""])[0][:300]
        log.warning("database unavailable: %s: %s", where, scrub_text(first_line))
        return _respond(
            request, 503, UNAVAILABLE_TITLE, UNAVAILABLE_API, UNAVAILABLE_PAGE, retry=True
        )
    log.error("unhandled error: %s\n%s", where, describe(error))
    sentry_sdk.capture_exception(error)
    message = _failed_message(request_id)
    return _respond(request, 500, FAILED_TITLE, message, message, retry=False)


def _respond(
    request: Request, status: int, title: str, api_message: str, page_message: str, *, retry: bool
) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if retry else {}
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"detail": api_message, "field": None}, status_code=status, headers=headers
        )
    try:
        # A public page: nothing of the session (it may be what failed), no cookie set.
        response = render_refusal(request, status, title, page_message, public_page=True)
    except Exception:  # the page itself failed: a bare one still answers
        log.exception("error page failed")
        response = HTMLResponse(
            f'<!doctype html><html lang="id"><title>{title}</title>'
            f"<h1>{title}</h1><p>{page_message}</p></html>",
            status_code=status,
        )
    response.headers.update(headers)
    return response
