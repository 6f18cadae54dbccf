"""Logging that never writes a NIK or a token: readable lines in development, one JSON
object per line in production (time, level, logger, message, request id, and for the access
line the route template, status, duration and tenant). Every rendered line, tracebacks
included, goes through the personal-data scrubber."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from siaga_platform.config import LogFormat
from siaga_platform.observability.request_context import current_request_id
from siaga_platform.observability.scrub import scrub_text

#: Extra fields a log call may carry (``extra={...}``) that the JSON line keeps.
FIELDS = ("method", "route", "status", "duration_ms", "tenant")

PARAMETER_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool")


class PersonalDataFilter(logging.Filter):
    """Scrubs the message and each string argument in place (formatters such as uvicorn's
    access formatter read ``record.args`` themselves, so they must stay)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub_text(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: scrub_text(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return scrub_text(json.dumps(entry, ensure_ascii=False, default=str))


class _SiagaHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler this module installs (found again on a second call)."""


def configure_logging(level: int = logging.INFO, fmt: LogFormat = LogFormat.TEXT) -> None:
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _SiagaHandler)), None)
    if handler is None:
        handler = _SiagaHandler()
        handler.addFilter(PersonalDataFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt is LogFormat.JSON else TextFormatter())
    root.setLevel(level)
    # Loggers that would write statements and their parameters (personal data): aiosqlite logs
    # every call with its arguments at DEBUG, SQLAlchemy every statement at INFO (its echo).
    # Held at WARNING whatever the root level: INFO here turned the echo on for every query.
    for name in PARAMETER_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    # The job queue logs four lines per periodic tick; its failures are errors and still show.
    logging.getLogger("procrastinate").setLevel(max(level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
        for uvicorn_handler in logging.getLogger(name).handlers:
            uvicorn_handler.addFilter(PersonalDataFilter())
