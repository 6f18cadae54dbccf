"""Production refuses unsafe defaults, each with one line that says what to fix."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from siaga_platform.config import Environment, Settings, settings_error_line

SAFE_PRODUCTION = {
    "environment": Environment.PRODUCTION,
    "secret_key": "a-long-random-production-secret-0123456789",
    "database_url": "postgresql+psycopg://siaga_web@db/siaga",
    "dev_sign_in": False,
    "field_keys": "k2026:" + base64.b64encode(bytes(range(32))).decode(),
    "search_key": base64.b64encode(bytes(range(32, 64))).decode(),
    "base_url": "https://siaga.kalteng.go.id",
}


def refusal(**overrides: object) -> str:
    with pytest.raises(ValidationError) as info:
        Settings(**{**SAFE_PRODUCTION, **overrides})  # type: ignore[arg-type]
    return settings_error_line(info.value)


def test_development_defaults_work_with_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("SIAGA_"):
            monkeypatch.delenv(key)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.uses_sqlite and "var/" in settings.database_url
    assert settings.dev_sign_in_enabled


def test_safe_production_settings_are_accepted() -> None:
    settings = Settings(**SAFE_PRODUCTION)  # type: ignore[arg-type]
    assert settings.is_production and not settings.dev_sign_in_enabled


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"secret_key": "dev-only-secret-change-me"}, "SIAGA_SECRET_KEY"),
        ({"database_url": "sqlite+aiosqlite:///var/siaga.db"}, "SQLite"),
        ({"dev_sign_in": True}, "development sign-in"),
        ({"field_keys": None}, "SIAGA_FIELD_KEYS"),
        ({"base_url": "http://127.0.0.1:8000"}, "SIAGA_BASE_URL is the development default"),
        ({"base_url": "http://siaga.kalteng.go.id"}, "SIAGA_BASE_URL must be an https://"),
        ({"base_url": "https://localhost:8443"}, "SIAGA_BASE_URL points at this machine"),
        ({"base_url": "https://10.0.0.5"}, "SIAGA_BASE_URL is not a public address"),
        ({"base_url": "https://siaga.kalteng.go.id/app?x=1"}, "only the scheme and host"),
    ],
)
def test_production_refusals_are_one_line(override: dict[str, object], expected: str) -> None:
    line = refusal(**override)
    assert expected in line
    assert "\n" not in line


def test_dev_sign_in_is_off_beside_keycloak() -> None:
    settings = Settings(keycloak_server_url="http://127.0.0.1:8080")
    assert not settings.dev_sign_in_enabled


def test_cli_prints_the_refusal_as_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    env.update({"SIAGA_ENVIRONMENT": "production", "SIAGA_DEV_SIGN_IN": "false"})
    result = subprocess.run(
        [sys.executable, "-m", "siaga_web.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SIAGA_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_short_or_simple_production_secret_is_refused() -> None:
    assert "too short or too simple" in refusal(secret_key="x")
    assert "too short or too simple" in refusal(secret_key="ab" * 20)  # long, but two letters


def test_unknown_siaga_names_are_refused_with_a_suggestion(tmp_path: object) -> None:
    from pathlib import Path

    from siaga_platform.config import UnknownSettingName, refuse_unknown_names

    with pytest.raises(UnknownSettingName) as typo:
        refuse_unknown_names({"SIAGA_ENV": "production"}, None)
    assert "SIAGA_ENV is not a Siaga setting" in str(typo.value)
    assert "SIAGA_ENVIRONMENT" in str(typo.value)
    env_file = Path(str(tmp_path)) / ".env"
    env_file.write_text("SIAGA_DATABSE_URL=postgresql://x\n")
    with pytest.raises(UnknownSettingName, match="SIAGA_DATABASE_URL"):
        refuse_unknown_names({}, env_file)
    # Settings, other programs' names and the test tooling's own names pass.
    refuse_unknown_names(
        {"SIAGA_ENVIRONMENT": "production", "PATH": "/bin", "SIAGA_TEST_POSTGRES_PORT": "1"},
        None,
    )


def test_the_cli_refuses_a_misspelt_setting_before_starting() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    env["SIAGA_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-m", "siaga_web.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "SIAGA_ENV is not a Siaga setting (did you mean SIAGA_ENVIRONMENT?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_env_example_names_every_setting_and_nothing_else() -> None:
    from pathlib import Path

    from dotenv import dotenv_values

    from siaga_platform.config import known_names, unknown_setting_names

    example = dotenv_values(Path(__file__).resolve().parents[2] / ".env.example")
    assert unknown_setting_names({k: v or "" for k, v in example.items()}) == []
    assert known_names() - set(example) == set()
