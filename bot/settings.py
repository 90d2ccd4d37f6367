"""Settings from the environment (and a ``.env`` file), built once at start-up.

Variable names are the outside contract in ARCHITECTURE.md. Secrets are
``SecretStr`` and never logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_SQLITE = "sqlite+aiosqlite:///teamaround.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(
        DEFAULT_SQLITE, validation_alias=AliasChoices("TEAMAROUND_DATABASE_URL")
    )
    config_path: Path | None = Field(None, validation_alias=AliasChoices("TEAMAROUND_CONFIG"))
    public_url: str = Field(
        "http://localhost:3000", validation_alias=AliasChoices("TEAMAROUND_PUBLIC_URL")
    )
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(
        "https://slack.com/api/", validation_alias="TEAMAROUND_SLACK_API_URL"
    )
    microsoft_app_id: str | None = Field(None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(
        None, validation_alias="MICROSOFT_APP_PASSWORD"
    )
    microsoft_app_tenant_id: str | None = Field(None, validation_alias="MICROSOFT_APP_TENANT_ID")
    teams_login_url: str = Field(
        "https://login.microsoftonline.com", validation_alias="TEAMAROUND_TEAMS_LOGIN_URL"
    )
    teams_openid_url: str = Field(
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        validation_alias="TEAMAROUND_TEAMS_OPENID_URL",
    )
    graph_url: str = Field("https://graph.microsoft.com", validation_alias="TEAMAROUND_GRAPH_URL")
    log_format: Literal["text", "json"] = Field("text", validation_alias="TEAMAROUND_LOG_FORMAT")

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("public_url", "slack_api_url", "teams_login_url", "graph_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id and self.microsoft_app_password)

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log filter to take out."""
        secrets = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.microsoft_app_password,
        )
        values = [s.get_secret_value() for s in secrets if s is not None]
        # The database password, if the URL carries one.
        _, _, rest = self.database_url.partition("://")
        credentials, at, _ = rest.rpartition("@")
        if at and ":" in credentials:
            values.append(credentials.split(":", 1)[1])
        return values


_ENV_NAMES = {
    "database_url": "TEAMAROUND_DATABASE_URL",
    "config_path": "TEAMAROUND_CONFIG",
    "public_url": "TEAMAROUND_PUBLIC_URL",
    "slack_api_url": "TEAMAROUND_SLACK_API_URL",
    "teams_login_url": "TEAMAROUND_TEAMS_LOGIN_URL",
    "graph_url": "TEAMAROUND_GRAPH_URL",
    "log_format": "TEAMAROUND_LOG_FORMAT",
}


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            name = _ENV_NAMES.get(field, field)
            lines.append(f"  {name}: {err['msg']}")
        raise ConfigError("Some settings are not valid:\n" + "\n".join(lines)) from None
