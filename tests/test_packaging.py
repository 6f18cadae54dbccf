"""The layout: `platform/` is a plain folder, so `import platform` stays the standard library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_import_platform_from_repo_root_is_the_standard_library() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import platform, sysconfig; platform.python_version();"
            " print(platform.__file__.startswith(sysconfig.get_paths()['stdlib']))",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "True"


def test_source_folders_are_not_packages_themselves() -> None:
    for folder in ("platform", "tenants", "web"):
        assert not (REPO_ROOT / folder / "__init__.py").exists()


def test_packages_import_after_install() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import siaga_platform, siaga_tenants, siaga_web.app"],
        cwd="/",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_region_data_ships_with_its_licence() -> None:
    data = REPO_ROOT / "tenants" / "siaga_tenants" / "data"
    assert "MIT License" in (data / "LICENSE-wilayah.txt").read_text()
    assert (data / "wilayah.csv").read_text().count("\n") > 7800
