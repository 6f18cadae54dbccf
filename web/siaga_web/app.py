"""The composition root: the one place that builds the ASGI app from its parts."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sentry_sdk.transport import Transport
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from siaga_platform.applications import importer
from siaga_platform.auth.oidc import KeycloakOidc
from siaga_platform.config import Settings, get_settings
from siaga_platform.db.engine import create_engine
from siaga_platform.delivery.send import channel_settings
from siaga_platform.errors import DomainError
from siaga_platform.hardware.service import DeviceTokenRefused
from siaga_platform.jobs.queue import InProcessJobs, JobQueue, WorkerContext, is_shared
from siaga_platform.letters.service import LetterConversion
from siaga_platform.limits.service import RateLimiter, TooManyRequests
from siaga_platform.observability.logging import configure_logging
from siaga_platform.observability.sentry import init_sentry
from siaga_platform.privacy.crypto import FieldCipher, cipher_from_settings
from siaga_platform.stock.ledger import LedgerCardStock
from siaga_platform.tenancy.unit_of_work import create_session_factory
from siaga_tenants.domain_inputs.hardware import regency_office_hours
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships.audience import alert_audience, digest_provinces
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry.service import import_inputs, local_date
from siaga_web.deps import Public, SignInRequired
from siaga_web.failures import FailureGuard
from siaga_web.heartbeat_lane import HeartbeatLane, heartbeat_connections
from siaga_web.input import BlankMeansAny, refuse_control_text
from siaga_web.middleware import BoostedFormRedirects, RequestIdMiddleware
from siaga_web.openapi import build_schema
from siaga_web.ratelimit import DeviceTokenGuard, TtlCache
from siaga_web.routes import (
    alerts,
    api,
    applications,
    applications_api,
    elections,
    hardware,
    hardware_api,
    health,
    language,
    letters,
    notifications,
    pages,
    rollup,
    signin,
    stock_province,
    stock_public,
    stock_regency,
)
from siaga_web.runtime import Runtime, runtime
from siaga_web.security import SecurityMiddleware, body_limits, origin_of
from siaga_web.templating import render_refusal
from siaga_web.warmup import warm_up

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "siaga_session"
SESSION_MAX_AGE = 8 * 3600  # one working day
UNREADABLE_BODY = (
    "Isi permintaan tidak dapat dibaca (bukan JSON atau formulir yang sah). "
    "Periksa formatnya lalu kirim lagi."
)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(request: Request, status: int, message: str, field: str | None) -> Response:
    if _wants_json(request):
        body: dict[str, object] = {"detail": message}
        if field:
            body["field"] = field
        return JSONResponse(body, status_code=status)
    titles = {
        400: "Permintaan ditolak",
        401: "Perlu masuk",
        403: "Tidak berhak",
        404: "Tidak ditemukan",
        409: "Bentrok",
        413: "Terlalu besar",
        429: "Terlalu banyak permintaan",
        503: "Layanan tidak tersedia",
    }
    return render_refusal(request, status, titles.get(status, "Ada masalah"), message, field=field)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message}, status_code=401)
        if request.headers.get("hx-request") == "true":
            # htmx would swap a redirect's page into a fragment: tell it to navigate instead.
            return Response(status_code=401, headers={"HX-Redirect": "/masuk"})
        return RedirectResponse("/masuk", status_code=303)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, DeviceTokenRefused):
            # Counted after the request's transaction ended (SQLite has one writer).
            await runtime(request.app).device_token_guard.count_failure(request)
        response = _error_response(request, exc.status_code, exc.message, exc.field)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            400: UNREADABLE_BODY,
            404: "Halaman tidak ditemukan. Periksa alamatnya.",
            405: "Cara akses salah.",
            413: str(exc.detail),
        }
        message = messages.get(exc.status_code, "Permintaan tidak dapat diproses.")
        return _error_response(request, exc.status_code, message, None)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if errors and errors[0]["type"] == "json_invalid":
            return _error_response(request, 422, UNREADABLE_BODY, None)
        field = ".".join(str(p) for p in errors[0]["loc"][1:]) if errors else None
        message = f"Isian tidak valid: {field}." if field else "Isian tidak valid."
        if errors and (hint := _FORMAT_HINTS.get(errors[0]["type"].split("_")[0])):
            message = f"{message} {hint}"
        if _wants_json(request):
            return JSONResponse({"detail": message, "field": field}, status_code=422)
        if errors and errors[0]["loc"][0] == "path":  # a malformed code or id in the address
            return _error_response(
                request, 404, "Halaman tidak ditemukan. Periksa alamatnya.", None
            )
        return _error_response(request, 422, message, field)


#: What a value of each kind looks like, said after a refusal of one (pydantic's error types
#: start with the kind: ``date_parsing``, ``bool_parsing``, ``int_parsing``, ``uuid_parsing``).
_FORMAT_HINTS = {
    "date": "Tulis tanggal sebagai TTTT-BB-HH, mis. 2026-12-03.",
    "datetime": "Tulis waktu sebagai TTTT-BB-HHTjj:mm, mis. 2026-12-03T08:30.",
    "bool": "Isi dengan true atau false.",
    "int": "Isi dengan angka bulat, mis. 12.",
    "uuid": "Gunakan tautan dari halaman Siaga; kode ini tidak dikenal.",
}


def worker_context(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], cipher: FieldCipher
) -> WorkerContext:
    """What the tasks need (``siaga worker``'s, and on SQLite this process's: it runs them
    itself)."""
    return WorkerContext(
        session_factory,
        active_regencies,
        alert_audience,
        channel_settings(settings),
        digest_provinces,
        imports=import_inputs,
        cipher=cipher,
        office_hours=regency_office_hours,
    )


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    oidc: KeycloakOidc | None = None,
    sentry_transport: type[Transport] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(fmt=settings.effective_log_format)
    init_sentry(settings, transport=sentry_transport)
    engine = engine or create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Background work runs in `siaga worker` on PostgreSQL; on the SQLite development
        # default this process runs the same tasks itself (`make run` stays one command).
        background = None
        if not is_shared(settings.database_url):
            background = await InProcessJobs.start(runtime(app).jobs, runtime(app).worker_context)
        runtime(app).in_process_jobs = background
        beat_connections = runtime(app).heartbeat_connections
        if beat_connections is not None:
            await beat_connections.open()
        await warm_up(runtime(app).session_factory)
        # Everything built so far (modules, mappers, templates) lives as long as the process:
        # keep it out of the garbage collector's full passes, which otherwise rescan it while
        # a large page is being built (the national page's p95 was 300 ms against 170 ms p50).
        gc.collect()
        gc.freeze()
        yield
        if background is not None:
            await background.stop()
        if beat_connections is not None:
            await beat_connections.close()
        await runtime(app).jobs.close()
        await engine.dispose()

    app = FastAPI(
        title="Siaga",
        description="KTP-el operations for regency Dukcapil offices, side by side per province.",
        lifespan=lifespan,
        # The schema is served by our own public route (every route declares its permission);
        # no HTML docs page, since FastAPI's loads its scripts from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    if oidc is None and settings.keycloak_configured:
        oidc = KeycloakOidc(settings)
    cipher = cipher_from_settings(settings)
    session_factory = create_session_factory(engine)
    app.state.runtime = Runtime(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        cipher=cipher,
        regions=CodeListDirectory(),
        card_stock=LedgerCardStock(local_date=local_date),
        card_handover=LetterConversion(local_date=local_date),
        oidc=oidc,
        rate_limiter=RateLimiter(
            session_factory, secret=settings.secret_key.get_secret_value().encode()
        ),
        device_token_guard=DeviceTokenGuard(),
        jobs=JobQueue(settings.database_url),
        worker_context=worker_context(settings, session_factory, cipher),
        public_cache=TtlCache(seconds=60),
        heartbeat_connections=heartbeat_connections(settings),
    )

    app.add_middleware(FailureGuard)  # first added: innermost (see there)
    app.add_middleware(BlankMeansAny)
    app.add_middleware(BoostedFormRedirects)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.is_production,
    )
    # Outside the browser's layers, inside the request id and the security headers.
    app.add_middleware(HeartbeatLane, runtime=app.state.runtime)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(
        SecurityMiddleware,
        limits=body_limits(importer.MAX_FILE_BYTES),
        production=settings.is_production,
        # Sign-in and sign-out forms lead on to Keycloak.
        form_targets=[origin_of(settings.keycloak_server_url or "")] if oidc else [],
    )
    _install_error_handlers(app)

    routers = (
        # First: tens of thousands of devices post here every minute, and a request is matched
        # against the routes in order (at the end of the list each beat tried ~70 routes).
        hardware_api.beats,
        health.router,
        signin.router,
        language.router,
        pages.router,
        applications.router,
        hardware.router,
        stock_regency.router,
        stock_province.router,
        stock_public.router,
        letters.router,
        rollup.router,
        elections.router,
        notifications.router,
        alerts.router,
        api.router,
        applications_api.router,
        hardware_api.router,
    )
    for router in routers:
        # Every text a request brings is checked once, here (heartbeats carry tokens and
        # readings only, and stay on their lean path).
        checked = [] if router is hardware_api.beats else [Depends(refuse_control_text)]
        app.include_router(router, dependencies=checked)

    @app.get("/api/openapi.json", dependencies=[Public], include_in_schema=False)
    async def openapi_schema() -> JSONResponse:
        if app.openapi_schema is None:
            app.openapi_schema = build_schema(app)
        return JSONResponse(app.openapi_schema)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
