"""The startup warm-up builds the national page and a province page in full, with real data,
six times (psycopg prepares on the fifth use), and says so; it never stops the start."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event

from siaga_web import templating
from siaga_web.warmup import PREPARE_AFTER, warm_up
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed


async def test_the_warm_up_builds_both_pages_with_real_reads(
    db: ScratchDatabase, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(db)
    pages: list[tuple[str, str]] = []
    render_page = templating.render_page

    def recording(template: str, *args: Any, **kwargs: Any) -> str:
        html = render_page(template, *args, **kwargs)
        pages.append((template, html))
        return html

    monkeypatch.setattr(templating, "render_page", recording)
    summary_reads: list[str] = []
    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM hardware_summaries" in statement:
            summary_reads.append(statement)
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        with caplog.at_level(logging.INFO, logger="siaga_web.warmup"):
            await warm_up(db.session_factory)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert "warm-up done" in caplog.text and "skipped" not in caplog.text
    # The national page and the province page, each built PREPARE_AFTER + 1 times.
    assert len(summary_reads) >= 2 * (PREPARE_AFTER + 1)
    assert writes == []
    # Both templates rendered in full each time, as a signed-in platform admin sees them.
    assert sorted({name for name, _html in pages}) == ["pages/national.html", "pages/province.html"]
    assert len(pages) == 2 * (PREPARE_AFTER + 1)
    assert all("</html>" in html and "Warm-up" in html for _name, html in pages)


async def test_an_empty_registry_is_no_reason_to_fail(
    db: ScratchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="siaga_web.warmup"):
        await warm_up(db.session_factory)
    assert "skipped" not in caplog.text and "warm-up done" not in caplog.text
