"""The layout: `platform/` is a plain folder, so `import platform` stays the standard library."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def test_the_lock_pins_every_dependency_within_pyproject_and_is_what_is_installed() -> None:
    """A fresh machine installs what CI tested: every requirement of pyproject (the app's and
    the dev tools') is pinned in requirements.lock to a version it allows, and the environment
    running the tests holds exactly the pinned versions (make install used the lock)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    wanted += project["optional-dependencies"]["sqlite"]
    pins = _lock()
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == "siaga" or (requirement.marker and not requirement.marker.evaluate()):
            continue
        assert name in pins, f"{requirement.name} is not in requirements.lock (make lock)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, pyproject wants {requirement}"
        )
    for name, version in pins.items():
        assert metadata.version(name) == version, f"{name}: installed != requirements.lock"
