"""Logging set-up: statements are never echoed (SQLAlchemy logs each one at INFO, aiosqlite
each call with its arguments at DEBUG), whatever the root level."""

from __future__ import annotations

import logging

import pytest

from siaga_platform.observability.logging import PARAMETER_LOGGERS, configure_logging


@pytest.mark.parametrize("root_level", [logging.DEBUG, logging.INFO])
def test_statement_loggers_stay_quiet(root_level: int) -> None:
    configure_logging(root_level)
    try:
        for name in PARAMETER_LOGGERS:
            logger = logging.getLogger(name)
            assert not logger.isEnabledFor(logging.INFO), name
            assert logger.isEnabledFor(logging.WARNING), name  # their errors still show
    finally:
        configure_logging()
