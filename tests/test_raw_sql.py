"""Core ``text()`` bypasses the ORM wall: raw SQL naming a tenant table may live only in a
repository (where it is reviewed with its scope). Checked by reading the source."""

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
