"""Migrations do not import the application: an old migration keeps meaning what it meant when
it was written. SQL they share comes from dated snapshot modules inside migrations/
(e.g. migrations/rls_2026_11_28.py). Only env.py, the live runner, may read the app's models."""

from __future__ import annotations

import ast
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
APP_PACKAGES = ("siaga_platform", "siaga_tenants", "siaga_web")


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            modules.add(str(node.args[0].value))
    return modules


def _migration_files() -> list[Path]:
    return sorted(p for p in MIGRATIONS.rglob("*.py") if p.name != "env.py")


def test_there_are_migrations_to_check() -> None:
    assert len(list((MIGRATIONS / "versions").glob("*.py"))) > 10


def test_migrations_do_not_import_the_application() -> None:
    offenders = {
        str(path.relative_to(MIGRATIONS)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in APP_PACKAGES
        )
        for path in _migration_files()
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_check_sees_every_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import siaga_web.app\n"
        "from siaga_platform.tenancy import rls\n"
        "import importlib\n"
        "importlib.import_module('siaga_tenants.all_models')\n"
        "from . import sibling\n"
    )
    found = {m.split(".")[0] for m in _imported_modules(sample)}
    assert set(APP_PACKAGES) <= found
