"""One gate for the tenant scope (issue 19): a request's scope is set in ``siaga_web/deps.py``,
any other scope through ``system_scope`` / ``enter_system_scope`` (``tenancy/scope.py``), which
name why and log it. Checked by reading the source: no other module calls the primitives."""

from __future__ import annotations

import ast
import logging
import uuid
from pathlib import Path

import pytest

from siaga_platform.tenancy.scope import TenantScope, scope_of, system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from tests.fixtures.databases import ScratchDatabase

REPO_ROOT = Path(__file__).resolve().parents[2]
PRIMITIVES = {"acting_for", "enter_scope"}
#: Who may call the primitives: the scope module itself, the unit of work (a retried
#: transaction gets its scope back) and the request's dependencies.
ALLOWED = {
    Path("platform/siaga_platform/tenancy/scope.py"),
    Path("platform/siaga_platform/tenancy/unit_of_work.py"),
    Path("web/siaga_web/deps.py"),
}


def primitive_calls(source: str) -> list[str]:
    """``acting_for(...)`` / ``enter_scope(...)`` calls in one module, as ``name:line``."""
    return [
        f"{node.func.id}:{node.lineno}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in PRIMITIVES
    ]


def test_only_the_gate_sets_a_scope() -> None:
    offenders = []
    for folder in ("platform", "tenants", "web"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            relative = path.relative_to(REPO_ROOT)
            if relative in ALLOWED:
                continue
            offenders += [f"{relative}: {c}" for c in primitive_calls(path.read_text("utf-8"))]
    assert offenders == []


def test_the_check_finds_a_primitive_call() -> None:
    source = "async def f(db, s):\n    async with acting_for(db, s):\n        pass\n"
    assert primitive_calls(source) == ["acting_for:2"]
    gated = "async def f(db, s):\n    await enter_system_scope(db, s, why='x')\n"
    assert primitive_calls(gated) == []


@pytest.mark.sqlite_only  # the scope itself, not what a database does with it
async def test_a_system_scope_says_why_and_restores_the_scope(
    db: ScratchDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    national = TenantScope.national({one, two})
    caplog.set_level(logging.DEBUG, logger="siaga.scope")
    async with unit_of_work(db.session_factory) as session:
        before = scope_of(session.sync_session)
        async with system_scope(session, national, why="tests.national_read"):
            assert scope_of(session.sync_session) == national
        async with system_scope(session, TenantScope.single(one), why="tests.one_regency"):
            assert scope_of(session.sync_session) == TenantScope.single(one)
        assert scope_of(session.sync_session) == before
    lines = {(r.levelno, r.getMessage()) for r in caplog.records if r.name == "siaga.scope"}
    assert (
        logging.INFO,
        "scope for tests.national_read: reads 2 regencies, writes 0 (national read)",
    ) in lines
    assert (logging.DEBUG, "scope for tests.one_regency: reads 1 regencies, writes 1") in lines
