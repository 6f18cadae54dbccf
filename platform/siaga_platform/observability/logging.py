"""Logging that never writes a NIK or a token."""

from __future__ import annotations

import logging

from siaga_platform.observability.scrub import scrub_text

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


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, PersonalDataFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(PersonalDataFilter())
        root.addHandler(handler)
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
