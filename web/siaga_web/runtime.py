"""What one app instance holds for its requests (settings, engine, cipher, queues, guards),
built once by ``create_app`` and read through ``runtime(request.app)``: typed, so a misspelt
name or a wrong type fails in mypy instead of in a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.applications import Starlette

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from siaga_platform.auth.oidc import KeycloakOidc
    from siaga_platform.config import Settings
    from siaga_platform.jobs.queue import InProcessJobs, JobQueue, WorkerContext
    from siaga_platform.letters.service import LetterConversion
    from siaga_platform.limits.service import RateLimiter
    from siaga_platform.privacy.crypto import FieldCipher
    from siaga_platform.stock.ledger import LedgerCardStock
    from siaga_tenants.regions.directory import CodeListDirectory
    from siaga_web.heartbeat_lane import HeartbeatConnections
    from siaga_web.ratelimit import DeviceTokenGuard, TtlCache


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    cipher: FieldCipher
    regions: CodeListDirectory
    #: Printing takes one blank card and one print of ribbon from the ledger, or is refused.
    card_stock: LedgerCardStock
    card_handover: LetterConversion
    oidc: KeycloakOidc | None
    rate_limiter: RateLimiter
    device_token_guard: DeviceTokenGuard
    #: Where requests defer background work (imports); the worker context runs it.
    jobs: JobQueue
    worker_context: WorkerContext
    #: The public stock notice, a minute per regency (each replica its own: it is public).
    public_cache: TtlCache
    #: The heartbeat lane's own connections (PostgreSQL only; see heartbeat_lane.py).
    heartbeat_connections: HeartbeatConnections | None = None
    #: The tasks this process runs itself (the SQLite default); set by the lifespan.
    in_process_jobs: InProcessJobs | None = None


def runtime(app: Starlette) -> Runtime:
    found: Runtime = app.state.runtime
    return found
