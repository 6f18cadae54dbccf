"""`siaga keycloak sync` creates the tenant groups with the realm's service account
(idempotent); the committed realm file equals what the generator writes from the demo data."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from keycloak.exceptions import KeycloakError

from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.registry.service import provision_tenant
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.keycloak import ADMIN_CLIENT_SECRET, KeycloakServer

REPO_ROOT = Path(__file__).resolve().parents[2]


def _siaga(
    keycloak: KeycloakServer, database_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    env.update(
        {
            "SIAGA_DATABASE_URL": database_url,
            "SIAGA_KEYCLOAK_SERVER_URL": keycloak.url,
            "SIAGA_KEYCLOAK_ADMIN_CLIENT_SECRET": ADMIN_CLIENT_SECRET,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "siaga_web.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.postgres_only
async def test_keycloak_sync_creates_tenant_groups_once(
    db: ScratchDatabase, keycloak: KeycloakServer
) -> None:
    admin = keycloak.admin()
    with contextlib.suppress(KeycloakError):  # left from an earlier run: start clean
        admin.delete_group(admin.get_group_by_path("/64")["id"])
    async with unit_of_work(db.session_factory) as session:
        for code in ("64.01", "64.71"):
            await provision_tenant(session, code, actor_subject="test")
    first = _siaga(keycloak, db.app_url, "keycloak", "sync")
    assert first.returncode == 0, first.stderr
    assert "+ /64/64.01" in first.stdout and "+ /64/64.71" in first.stdout
    assert admin.get_group_by_path("/64/64.01")["path"] == "/64/64.01"
    second = _siaga(keycloak, db.app_url, "keycloak", "sync")
    assert second.returncode == 0, second.stderr
    assert "0 dibuat, 3 sudah ada" in second.stdout
    children = admin.get_group_children(admin.get_group_by_path("/64")["id"])
    assert sorted(g["name"] for g in children) == ["64.01", "64.71"]


def test_keycloak_sync_without_credentials_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    env["SIAGA_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    subprocess.run(
        [sys.executable, "-m", "siaga_web.cli", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "siaga_web.cli", "keycloak", "sync"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "SIAGA_KEYCLOAK_ADMIN_CLIENT_SECRET" in result.stderr


def test_committed_realm_matches_the_demo_data() -> None:
    sys.path.insert(0, str(REPO_ROOT / "infra" / "keycloak"))
    try:
        import realm  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    committed = (REPO_ROOT / "infra" / "keycloak" / "realm-siaga.json").read_text()
    assert committed == realm.render()
    parsed = json.loads(committed)
    client = next(c for c in parsed["clients"] if c["clientId"] == "siaga-web")
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    assert client["standardFlowEnabled"] and not client["directAccessGrantsEnabled"]
    assert not client["implicitFlowEnabled"] and not client["publicClient"]
    assert all("*" not in uri for uri in client["redirectUris"])
    mappers = {m["protocolMapper"] for m in client["protocolMappers"]}
    assert {"oidc-audience-mapper", "oidc-group-membership-mapper"} <= mappers
    assert {r["name"] for r in parsed["roles"]["realm"]} == {
        "operator",
        "kepala_dinas",
        "supervisor_provinsi",
        "admin_platform",
    }
    paths = {g["path"] for g in parsed["groups"][0]["subGroups"]}
    assert "/62/62.12" in paths and len(paths) == 14
