"""The import rules, written as import-linter contracts in pyproject.toml ([tool.importlinter]):
web -> tenants -> platform; the platform's kernel knows no domain; the peer domains
(applications, hardware, stock, letters, notify) do not import each other except through the
declared seams; composing domains (jobs, delivery, alerts, elections, rollup) sit above them;
the tenant registry knows no domain (what the domains read of it: siaga_tenants.domain_inputs).
`make lint` and infra/test/run.sh run `lint-imports` too; this test keeps `pytest` alone honest."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
LETTERS_SEAM = '    "siaga_platform.letters.service -> siaga_platform.applications.*",\n'


def _lint(config: Path, contract: str | None = None) -> int:
    only = (contract,) if contract else ()
    return lint_imports(
        config_filename=str(config), limit_to_contracts=only, no_cache=True, no_logo=True
    )


def test_the_import_contracts_hold() -> None:
    assert _lint(PYPROJECT) == 0


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = PYPROJECT.read_text()
    assert old in text
    config = tmp_path / "pyproject.toml"
    config.write_text(text.replace(old, new))
    return config


def test_an_undeclared_cross_domain_import_breaks_the_peers_contract(tmp_path: Path) -> None:
    # letters really imports applications: without its declared seam the contract is broken.
    assert _lint(_variant(tmp_path, LETTERS_SEAM, ""), "peers") == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # the platform may not import the web layer: reversed, today's imports break it
        (
            'layers = ["siaga_web", "siaga_tenants", "siaga_platform"]',
            'layers = ["siaga_platform", "siaga_tenants", "siaga_web"]',
        ),
        # rollup reads stock: a stock that sat above rollup would be importing upwards
        (
            '    "rollup",\n    "applications : hardware : letters : notify : stock",\n',
            '    "stock",\n    "rollup",\n    "applications : hardware : letters : notify",\n',
        ),
    ],
    ids=["layers", "composers"],
)
def test_the_layer_contracts_see_the_imports_they_forbid(
    tmp_path: Path, old: str, new: str
) -> None:
    contract = "layers" if "siaga_web" in old else "composers"
    assert _lint(_variant(tmp_path, old, new), contract) == 1


def test_a_seam_that_no_longer_exists_must_be_removed(tmp_path: Path) -> None:
    stale = '    "siaga_platform.notify.email -> siaga_platform.stock.models",\n'
    assert _lint(_variant(tmp_path, LETTERS_SEAM, LETTERS_SEAM + stale), "peers") == 1


def test_the_registry_contract_sees_a_domain_import(tmp_path: Path) -> None:
    # domain_inputs really imports letters, rollup and hardware: counted as registry code, the
    # contract is broken (as it would be if the registry imported them again).
    registry_only = 'source_modules = ["siaga_tenants.registry", "siaga_tenants.regions"]'
    with_inputs = (
        'source_modules = ["siaga_tenants.registry", "siaga_tenants.regions", '
        '"siaga_tenants.domain_inputs"]'
    )
    config = _variant(tmp_path, registry_only, with_inputs)
    assert _lint(config, "registry-knows-no-domain") == 1
    assert _lint(PYPROJECT, "registry-knows-no-domain") == 0
