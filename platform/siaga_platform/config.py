"""Settings read from the environment (prefix ``SIAGA_``).

Development works with no configuration at all; production refuses the defaults that would be
unsafe there and says why in one line.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - refused outside development
VAR_DIR = Path("var")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{VAR_DIR / 'siaga.db'}"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class UnsafeProductionSettings(ValueError):
    """Raised when production would start with a development-only default."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIAGA_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    #: Migrations run as the schema owner on PostgreSQL; defaults to ``database_url``.
    migration_database_url: str | None = None
    #: PostgreSQL connections each worker keeps open: about the requests it serves at once
    #: (beyond it, up to as many again are opened and closed per request).
    database_pool_size: int = Field(default=10, ge=1, le=100)
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    dev_sign_in: bool = True
    base_url: str = "http://127.0.0.1:8000"

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
    #: Key of the keyed hash (HMAC-SHA256) that indexes NIKs and name words for search.
    search_key: SecretStr | None = None

    sentry_dsn: str | None = None
    sentry_environment: str | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    default_language: str = "id"

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
        if self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
            raise UnsafeProductionSettings(
                "SIAGA_SECRET_KEY is the development default: set a long random secret"
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
        return self


def settings_error_line(error: Exception) -> str:
    """The one line to show for invalid settings (pydantic wraps our message)."""
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        first = error.errors()[0]
        message = str(first.get("msg", error))
        return message.removeprefix("Value error, ")
    return str(error)


@lru_cache
def get_settings() -> Settings:
    return Settings()
