"""Core ``text()`` bypasses the ORM wall: raw SQL naming a tenant table may live only in a
repository (where it is reviewed with its scope). Checked by reading the source.

Driver-level SQL (plain strings sent straight to the database driver, as the heartbeat intake
does) bypasses it too: every string literal outside a repository that reads or writes a tenant
table is listed in ``DRIVER_SQL_ALLOWED`` with the tables it names, and only the modules in
``DRIVER_SQL_RUNNERS`` may import such a module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.test_schema_keys import tenant_tables

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("platform", "tenants", "web")


def raw_sql_on_tenant_tables(source: str, tables: set[str]) -> list[str]:
    """The tenant tables named inside ``text(...)`` calls of one module."""
    hits = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name != "text":
            continue
        literal = " ".join(
            part.value
            for arg in node.args
            for part in ast.walk(arg)
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        hits += [t for t in tables if re.search(rf"\b{re.escape(t)}\b", literal)]
    return hits


def test_no_raw_sql_on_tenant_tables_outside_repositories() -> None:
    tables = {t.name for t in tenant_tables()}
    offenders = []
    for folder in SOURCE_DIRS:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if path.name == "repository.py":
                continue
            hits = raw_sql_on_tenant_tables(path.read_text("utf-8"), tables)
            offenders += [f"{path.relative_to(REPO_ROOT)}: {hit}" for hit in hits]
    assert offenders == []


def test_the_check_finds_raw_sql() -> None:
    source = 'from sqlalchemy import text\nq = text("select * from audit_events where 1=1")\n'
    assert raw_sql_on_tenant_tables(source, {"audit_events"}) == ["audit_events"]
    assert raw_sql_on_tenant_tables('q = text("select 1")', {"audit_events"}) == []


#: Modules (outside repositories) whose plain-string SQL names tenant tables, and those tables.
#: hardware/beat_sql.py: the heartbeat intake's statements; its SCOPE statement sets the
#: transaction's tenant scope from the tokens before any device row is touched.
DRIVER_SQL_ALLOWED: dict[str, set[str]] = {
    "platform/siaga_platform/hardware/beat_sql.py": {"hardware_devices", "hardware_heartbeats"},
}
#: Who may import an allowed driver-SQL module (the one place its statements are executed).
DRIVER_SQL_RUNNERS: dict[str, set[str]] = {
    "siaga_platform.hardware.beat_sql": {"platform/siaga_platform/hardware/intake.py"},
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        ):
            found.add(id(node.body[0].value))
    return found


def sql_strings_on_tenant_tables(source: str, tables: set[str]) -> set[str]:
    """The tenant tables that string literals (not docstrings) of one module read or write."""
    if not tables:
        return set()
    names = "|".join(re.escape(t) for t in sorted(tables, key=len, reverse=True))
    pattern = re.compile(rf"\b(?:from|join|into|update|table)\s+({names})\b", re.IGNORECASE)
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    hits: set[str] = set()
    for node in ast.walk(tree):
        is_string = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_string and id(node) not in docstrings:
            hits |= {m.group(1) for m in pattern.finditer(node.value)}
    return hits


def test_driver_level_sql_on_tenant_tables_only_where_allowed() -> None:
    tables = {t.name for t in tenant_tables()}
    found = {}
    for folder in SOURCE_DIRS:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if path.name == "repository.py":
                continue
            hits = sql_strings_on_tenant_tables(path.read_text("utf-8"), tables)
            if hits:
                found[path.relative_to(REPO_ROOT).as_posix()] = hits
    # Equal, not a subset: an allowance that is no longer used is removed from the list.
    assert found == DRIVER_SQL_ALLOWED


def test_driver_level_sql_modules_are_run_only_by_their_runner() -> None:
    importers: dict[str, set[str]] = {module: set() for module in DRIVER_SQL_RUNNERS}
    for folder in SOURCE_DIRS:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                for module in importers:
                    if module in names:
                        importers[module].add(path.relative_to(REPO_ROOT).as_posix())
    assert importers == DRIVER_SQL_RUNNERS


def test_the_check_finds_driver_level_sql() -> None:
    tables = {"hardware_devices", "audit_events"}
    source = (
        '"""Reads hardware_devices (a docstring, not SQL) from hardware_devices."""\n'
        'LOCK = ("SELECT d.id FROM hardware_devices AS d"\n'
        '        " JOIN audit_events a ON a.id = d.id")\n'
        'LABEL = "the audit_events table"\n'
    )
    assert sql_strings_on_tenant_tables(source, tables) == tables
    assert sql_strings_on_tenant_tables('Q = "insert into audit_events values (1)"', tables) == {
        "audit_events"
    }
    assert sql_strings_on_tenant_tables('Q = "SELECT 1"', tables) == set()
