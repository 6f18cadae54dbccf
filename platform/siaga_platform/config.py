"""Settings read from the environment (prefix ``SIAGA_``).

Development works with no configuration at all; production refuses the defaults that would be
unsafe there and says why in one line.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused outside development
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
VAR_DIR = Path("var")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{VAR_DIR / 'siaga.db'}"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingsRefused(ValueError):
    """Settings the process must not start with; the message is the one line to show."""


class UnsafeProductionSettings(SettingsRefused):
    """Raised when production would start with a development-only default."""


class UnknownSettingName(SettingsRefused):
    """A ``SIAGA_*`` name that is no setting: a typo would otherwise be ignored silently
    (``SIAGA_ENV=production`` started a development server with the demo sign-in)."""


ENV_PREFIX = "SIAGA_"
#: ``SIAGA_*`` names read by the test and benchmark tooling, not by the app.
TOOLING_NAMES = ("SIAGA_TEST_", "SIAGA_BENCH", "SIAGA_REQUIRE_SERVICES", "SIAGA_KEYCLOAK_")
#: A production secret key: long, and not a word or a repeated pattern.
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 16


class LogFormat(StrEnum):
    TEXT = "text"  # one readable line (development)
    JSON = "json"  # one JSON object per line (production: a log collector reads it)


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIAGA_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    #: Migrations run as the schema owner on PostgreSQL; defaults to ``database_url``.
    migration_database_url: str | None = None
    #: `siaga backup` reads as this role (``siaga_backup``: BYPASSRLS, reads only); defaults
    #: to the migration URL (which on PostgreSQL cannot read past row-level security).
    backup_database_url: str | None = None
    #: PostgreSQL connections each worker keeps open: about the requests it serves at once
    #: (beyond it, up to as many again are opened and closed per request).
    database_pool_size: int = Field(default=10, ge=1, le=100)
    #: JSON API requests a minute per signed-in session or Bearer token (all replicas).
    api_requests_per_minute: int = Field(default=600, ge=1)
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    dev_sign_in: bool = True
    #: The public address Siaga is reached at: the letters' QR codes and printed verification
    #: address, sign-in redirects, alert links, the Origin check of forms. Production refuses
    #: the development default and anything but a public https origin.
    base_url: str = DEFAULT_BASE_URL
    #: Reverse proxies whose ``X-Forwarded-For``/``-Proto`` are believed: comma-separated
    #: addresses or networks (``10.0.0.5,10.1.0.0/16``). Empty: no proxy is trusted, the
    #: connection's own address is the client (rate limits key on it).
    trusted_proxies: str = ""

    keycloak_server_url: str | None = None
    keycloak_realm: str = "siaga"
    keycloak_client_id: str = "siaga-web"
    keycloak_client_secret: SecretStr | None = None
    #: The service-account client `siaga keycloak sync` uses to create tenant groups.
    keycloak_admin_client_id: str = "siaga-admin"
    keycloak_admin_client_secret: SecretStr | None = None
    #: Seconds a network call to Keycloak may take before the user sees "SSO unreachable".
    keycloak_timeout_seconds: int = 10

    #: Field encryption keys for personal data, ``id:base64key`` comma-separated (AES-256,
    #: 32 bytes each); the first is used to encrypt, all can decrypt (rotation). Development
    #: derives one from the secret key; production must set them.
    field_keys: SecretStr | None = None
    #: Keys of the keyed hash (HMAC-SHA256) that indexes NIKs and name words for search:
    #: ``id:base64key`` comma-separated, the first makes new hashes (a bare value is key
    #: ``s0``); list the old one after a new one while `siaga keys rotate` rebuilds the hashes.
    search_key: SecretStr | None = None

    sentry_dsn: str | None = None
    sentry_environment: str | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    default_language: str = "id"

    #: ``text`` or ``json``; unset: json in production, text in development.
    log_format: LogFormat | None = None
    #: ``/metrics`` (Prometheus) answers only with ``Authorization: Bearer <this token>``,
    #: unless ``metrics_public`` is set (a scraper inside a closed network). Neither: 404.
    metrics_token: SecretStr | None = None
    metrics_public: bool = False
    #: How long a migration waits for a table lock before giving up (a busy table must not
    #: queue every request behind the migration's lock): seconds; run the step again later.
    migration_lock_timeout_seconds: int = Field(default=10, ge=1, le=600)
    #: Days of raw heartbeats kept; older days are dropped whole by the worker (PostgreSQL
    #: day partitions) once rolled up per device and hour (kept two years). At least 8: beats
    #: up to 7 days old are still taken in.
    heartbeat_retention_days: int = Field(default=30, ge=8, le=3650)
    #: A folder of secret files, one per setting, named like the variable
    #: (``SIAGA_SECRET_KEY``, ``SIAGA_FIELD_KEYS``…): container secrets (/run/secrets).
    #: An environment variable of the same name wins over its file.
    secrets_dir: str | None = None

    #: The mail server of the alert e-mails. Unset in development: each message is written to
    #: ``var/mail/`` as an ``.eml`` file instead (production then refuses to send e-mail).
    smtp_host: str | None = None
    #: 587 for STARTTLS, 465 for TLS from the first byte, 25 for none.
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Siaga <siaga@localhost>"
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    #: Seconds a conversation with the mail server may take.
    smtp_timeout_seconds: int = Field(default=30, ge=1, le=300)
    #: Let webhooks reach private, loopback, link-local and reserved addresses (tests, a
    #: province bridge inside the same network). Off: such a target is refused.
    webhook_allow_private: bool = False
    #: The Telegram Bot API; a self-hosted Bot API server or a test receiver may replace it.
    telegram_api_base: str = "https://api.telegram.org"
    #: The platform's one Telegram bot (from @BotFather); each person gives only their chat id.
    telegram_bot_token: SecretStr | None = None

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.is_production else LogFormat.TEXT

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def keycloak_configured(self) -> bool:
        return bool(self.keycloak_server_url)

    @property
    def keycloak_issuer(self) -> str:
        return f"{(self.keycloak_server_url or '').rstrip('/')}/realms/{self.keycloak_realm}"

    @property
    def oidc_redirect_uri(self) -> str:
        """Exact, as registered on the Keycloak client (no wildcards)."""
        return f"{self.base_url.rstrip('/')}/auth/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        return f"{self.base_url.rstrip('/')}/masuk"

    @property
    def dev_sign_in_enabled(self) -> bool:
        """The pick-a-demo-user sign-in: development only, and never beside a real Keycloak."""
        return self.dev_sign_in and not self.is_production and not self.keycloak_configured

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if not self.is_production:
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET_KEY:
            raise UnsafeProductionSettings(
                "SIAGA_SECRET_KEY is the development default: set a long random secret"
            )
        if len(secret) < SECRET_MIN_LENGTH or len(set(secret)) < SECRET_MIN_DISTINCT:
            raise UnsafeProductionSettings(
                f"SIAGA_SECRET_KEY is too short or too simple: use at least {SECRET_MIN_LENGTH} "
                "random characters (python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if self.uses_sqlite:
            raise UnsafeProductionSettings(
                "SIAGA_DATABASE_URL points at SQLite: production needs PostgreSQL "
                "(postgresql+psycopg://...)"
            )
        if self.field_keys is None or self.search_key is None:
            raise UnsafeProductionSettings(
                "SIAGA_FIELD_KEYS and SIAGA_SEARCH_KEY must be set in production "
                "(personal data is encrypted with them)"
            )
        if self.dev_sign_in:
            raise UnsafeProductionSettings(
                "SIAGA_DEV_SIGN_IN is on: the development sign-in is refused in production, "
                "set SIAGA_DEV_SIGN_IN=false and configure Keycloak"
            )
        problem = public_base_url_problem(self.base_url)
        if problem:
            raise UnsafeProductionSettings(
                f"SIAGA_BASE_URL {problem}: set the public https address the office publishes "
                "(e.g. https://siaga.example.go.id); letters print it and their QR codes lead there"
            )
        return self


class _SecretsDir(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIAGA_", env_file=".env", extra="ignore")

    secrets_dir: str | None = None


def public_base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the public address printed on letters, or None."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    if url.rstrip("/") == DEFAULT_BASE_URL:
        return "is the development default"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "must be an https:// address"
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        return "must be only the scheme and host (no path, query or user)"
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return "points at this machine"
    try:
        address = ip_address(host)
    except ValueError:
        return None
    if address.is_loopback or address.is_private or address.is_unspecified:
        return "is not a public address"
    return None


def settings_error_line(error: Exception) -> str:
    """The one line to show for invalid settings (pydantic wraps our message)."""
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        first = error.errors()[0]
        message = str(first.get("msg", error))
        return message.removeprefix("Value error, ")
    return str(error)


def known_names() -> set[str]:
    return {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}


def unknown_setting_names(environment: Mapping[str, str]) -> list[str]:
    known = known_names()
    return sorted(
        name
        for name in environment
        if name.upper().startswith(ENV_PREFIX)
        and name.upper() not in known
        and not name.upper().startswith(TOOLING_NAMES)
    )


def refuse_unknown_names(environment: Mapping[str, str], env_file: Path | None) -> None:
    """Refuse a ``SIAGA_*`` name in the environment or the ``.env`` file that is no setting."""
    names = dict(environment)
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values

        names.update({k: v or "" for k, v in dotenv_values(env_file).items()})
    unknown = unknown_setting_names(names)
    if not unknown:
        return
    name = unknown[0]
    close = difflib.get_close_matches(name.upper(), sorted(known_names()), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise UnknownSettingName(f"{name} is not a Siaga setting{hint}; see .env.example")


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, after refusing unknown ``SIAGA_*`` names."""
    refuse_unknown_names(os.environ, Path(".env"))
    return read_settings()


def read_settings() -> Settings:
    """The environment and ``.env``, then the secret files of ``SIAGA_SECRETS_DIR``."""
    where = _SecretsDir().secrets_dir  # read first: the checks need the secrets in place
    if where is None:
        return Settings()
    folder = Path(where)
    if not folder.is_dir():
        raise SettingsRefused(f"SIAGA_SECRETS_DIR {folder} is not a folder")
    return Settings(_secrets_dir=folder)
