"""The province's compose file (infra/compose): its rules, then the tools that run it.

No container can start here, so the file is checked three ways: its invariants read from the
YAML (2 web replicas, the migration first, a health check everywhere, no secret inline),
`docker-compose config` (the Compose schema, variables resolved) and `caddy validate` (the
reverse proxy's configuration, with a certificate made by make-secrets.sh --self-signed).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.fixtures.databases import DatabaseTemplates, service_missing

COMPOSE = Path(__file__).resolve().parents[1] / "infra" / "compose"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEYS?$|TOKEN|DATABASE_URL|DSN", re.IGNORECASE)
EXAMPLE_ARGS = ("--env-file", "province.env.example")
EXAMPLE_ENV = {
    "SIAGA_PUBLIC_HOST": "siaga.kalteng.example.go.id",
    "SIAGA_SSO_HOST": "sso.kalteng.example.go.id",
}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    return loaded


def _depends(service: dict[str, Any]) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in service.get("depends_on", {}).items()}


def test_web_runs_twice_after_the_migration() -> None:
    services = _compose()["services"]
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["web"]["command"][0] == "serve"
    assert services["worker"]["command"][0] == "worker"
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert _depends(services[name])["migrate"] == "service_completed_successfully", name
    assert _depends(services["migrate"]) == {"postgres": "service_healthy"}
    assert set(_depends(services["proxy"])) == {"web", "keycloak"}


def test_every_long_running_service_has_a_health_check() -> None:
    for name, service in _compose()["services"].items():
        check = service.get("healthcheck", {})
        if name == "migrate":
            assert check.get("disable") is True
            continue
        assert check.get("test"), f"{name} has no health check"
        assert service["restart"] == "unless-stopped", name


def test_no_secret_is_written_in_the_file() -> None:
    compose = _compose()
    for name, service in compose["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(variable):
                assert str(value).startswith("/run/secrets/"), f"{name}: {variable} inline"
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], f"{name}: unknown secret {secret}"
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"} and secret["file"].startswith("./secrets/"), name
    ignored = (COMPOSE / ".gitignore").read_text().split()
    assert "secrets/" in ignored and "province.env" in ignored


def test_the_app_is_only_behind_the_proxy() -> None:
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    proxy_address = services["proxy"]["networks"]["front"]["ipv4_address"]
    assert services["web"]["environment"]["SIAGA_TRUSTED_PROXIES"] == proxy_address
    assert services["web"]["environment"]["SIAGA_ENVIRONMENT"] == "production"


def test_make_secrets_writes_every_secret_once(tmp_path: Path) -> None:
    secrets_dir = tmp_path / "secrets"
    env = {**os.environ, "SECRETS_DIR": str(secrets_dir), **EXAMPLE_ENV}
    script = [str(COMPOSE / "make-secrets.sh"), "--self-signed"]
    subprocess.run(script, env=env, check=True, capture_output=True)
    first = {path.name: path.read_text() for path in secrets_dir.iterdir()}
    wanted = {Path(spec["file"]).name for spec in _compose()["secrets"].values()}
    assert set(first) == wanted
    for path in secrets_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert first["siaga_web_password"] in first["siaga_database_url"]
    assert first["siaga_database_url"].startswith("postgresql+psycopg://siaga_web:")
    assert first["siaga_migration_database_url"].startswith("postgresql+psycopg://siaga_owner:")
    assert re.fullmatch(r"k1:[A-Za-z0-9+/]{43}=", first["siaga_field_keys"])
    subprocess.run(script, env=env, check=True, capture_output=True)
    again = {path.name: path.read_text() for path in secrets_dir.iterdir()}
    assert again == first  # never a new key over an old one: the data would be lost


def test_docker_compose_accepts_the_file() -> None:
    if not shutil.which("docker-compose"):
        service_missing("docker-compose (Debian package: make system-packages)")
    result = subprocess.run(
        ["docker-compose", "-p", "siaga", "-f", "compose.yaml", *EXAMPLE_ARGS, "config"],
        cwd=COMPOSE,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    web = resolved["services"]["web"]
    assert web["environment"]["SIAGA_BASE_URL"] == "https://siaga.kalteng.example.go.id"
    assert "siaga_field_keys" in {s["source"] for s in web["secrets"]}
    assert resolved["services"]["worker"]["image"] == web["image"]


def test_docker_compose_refuses_a_missing_address() -> None:
    if not shutil.which("docker-compose"):
        service_missing("docker-compose (Debian package: make system-packages)")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    result = subprocess.run(
        ["docker-compose", "-p", "siaga", "-f", "compose.yaml", "config"],
        cwd=COMPOSE,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "set SIAGA_PUBLIC_HOST in province.env" in result.stderr


def test_caddy_accepts_the_proxy_configuration(tmp_path: Path) -> None:
    if not shutil.which("caddy"):
        service_missing("caddy (Debian package: make system-packages)")
    env = {**os.environ, "SECRETS_DIR": str(tmp_path), **EXAMPLE_ENV}
    subprocess.run(
        [str(COMPOSE / "make-secrets.sh"), "--self-signed"],
        env=env,
        check=True,
        capture_output=True,
    )
    # The files compose mounts under /run/secrets/, here in tmp_path.
    caddyfile = (COMPOSE / "Caddyfile").read_text()
    caddyfile = caddyfile.replace(
        "/run/secrets/tls_certificate", str(tmp_path / "tls_certificate.pem")
    )
    caddyfile = caddyfile.replace(
        "/run/secrets/tls_private_key", str(tmp_path / "tls_private_key.pem")
    )
    (tmp_path / "Caddyfile").write_text(caddyfile)
    result = subprocess.run(
        ["caddy", "validate", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
        env={**env, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Valid configuration" in result.stdout + result.stderr


def test_proxy_sends_to_both_web_replicas_and_keycloak() -> None:
    caddyfile = (COMPOSE / "Caddyfile").read_text()
    assert re.search(r"dynamic a \{\s*name web\s*port 8000", caddyfile)
    assert "reverse_proxy keycloak:8080" in caddyfile
    assert caddyfile.count("tls /run/secrets/tls_certificate /run/secrets/tls_private_key") == 2


@pytest.mark.parametrize("service", ["web", "worker", "migrate"])
def test_app_services_use_one_image(service: str) -> None:
    assert _compose()["services"][service]["image"] == "${SIAGA_IMAGE:-localhost/siaga:dev}"


def test_postgres_init_creates_the_roles_and_databases(
    templates: DatabaseTemplates, tmp_path: Path
) -> None:
    """postgres-init.sh on the throwaway cluster, with the secret files make-secrets.sh writes
    (the cluster's own bootstrap made Siaga's roles and database already: the script skips
    them, as it would on a volume initialised by hand; Keycloak's are new)."""
    if not templates.postgres_available or not templates.admin_url:
        service_missing("PostgreSQL (make test starts a throwaway cluster)")
    admin = make_url(templates.admin_url)
    env = {**os.environ, "SECRETS_DIR": str(tmp_path), **EXAMPLE_ENV}
    subprocess.run([str(COMPOSE / "make-secrets.sh")], env=env, check=True, capture_output=True)
    init_env = {
        **env,
        "PGHOST": str(admin.host),
        "PGPORT": str(admin.port),
        "PGPASSWORD": admin.password or "",
        "SIAGA_INIT_SECRETS": str(tmp_path),
        "SIAGA_INIT_BOOTSTRAP": str(COMPOSE.parent / "postgres" / "bootstrap.sql"),
    }
    try:
        result = subprocess.run(
            [str(COMPOSE / "postgres-init.sh")], env=init_env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        engine = create_engine(templates.admin_url)
        with engine.connect() as connection:
            owners = dict(
                connection.execute(
                    text(
                        "select datname, pg_get_userbyid(datdba) from pg_database"
                        " where datname in ('siaga', 'keycloak')"
                    )
                ).all()
            )
            keycloak_can_log_in = connection.scalar(
                text("select rolcanlogin from pg_roles where rolname = 'keycloak'")
            )
        engine.dispose()
        assert owners == {"siaga": "siaga_owner", "keycloak": "keycloak"}
        assert keycloak_can_log_in is True
    finally:
        for statement in (
            "DROP DATABASE IF EXISTS keycloak WITH (FORCE)",
            "DROP ROLE IF EXISTS keycloak",
        ):
            templates.admin_execute(statement)
