"""Settings from the environment (and a ``.env`` file), built once at start-up.

Variable names are the outside contract in ARCHITECTURE.md. Secrets are
``SecretStr`` and never logged.
"""

from __future__ import annotations

import re
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
    # Signs the links in emails (the one-action page) and the page's forms.
    secret_key: SecretStr | None = Field(None, validation_alias="TEAMAROUND_SECRET_KEY")
    notify_api_key: SecretStr | None = Field(None, validation_alias="TEAMAROUND_NOTIFY_API_KEY")
    notify_template_id: str | None = Field(None, validation_alias="TEAMAROUND_NOTIFY_TEMPLATE_ID")
    notify_url: str = Field(
        "https://api.notifications.service.gov.uk", validation_alias="TEAMAROUND_NOTIFY_URL"
    )
    # smtp://user:pass@host:587 (STARTTLS required), smtps://… (implicit TLS),
    # smtp://host:port?tls=off (a relay on this host only).
    smtp_url: SecretStr | None = Field(None, validation_alias="TEAMAROUND_SMTP_URL")
    email_from: str | None = Field(None, validation_alias="TEAMAROUND_EMAIL_FROM")

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "use at least 32 random characters, e.g. the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @field_validator("notify_api_key")
    @classmethod
    def _notify_key(cls, value: SecretStr | None) -> SecretStr | None:
        # {key name}-{service id}-{secret}: two UUIDs at the end (Notify's format).
        if value is not None and not re.fullmatch(
            r".+-" + _UUID + "-" + _UUID, value.get_secret_value()
        ):
            raise ValueError("not a GOV.UK Notify API key (name-service id-secret)")
        return value

    @field_validator("notify_template_id")
    @classmethod
    def _template_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(_UUID, value):
            raise ValueError("the template's ID from Notify (a UUID)")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("use smtp://user:pass@host:587 (STARTTLS) or smtps://… (TLS)")
        return value

    @field_validator("public_url", "slack_api_url", "teams_login_url", "graph_url", "notify_url")
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

    @property
    def email_enabled(self) -> bool:
        return bool(self.notify_api_key or self.smtp_url)

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log filter to take out."""
        secrets = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.microsoft_app_password,
            self.secret_key,
            self.notify_api_key,
        )
        values = [s.get_secret_value() for s in secrets if s is not None]
        if self.smtp_url is not None:
            # The SMTP password, if the URL carries one.
            values += _url_password(self.smtp_url.get_secret_value())
        # The database password, if the URL carries one.
        return values + _url_password(self.database_url)


def _url_password(url: str) -> list[str]:
    _, _, rest = url.partition("://")
    credentials, at, _ = rest.partition("/")[0].rpartition("@")
    if at and ":" in credentials:
        return [credentials.split(":", 1)[1]]
    return []


_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


_ENV_NAMES = {
    "database_url": "TEAMAROUND_DATABASE_URL",
    "config_path": "TEAMAROUND_CONFIG",
    "public_url": "TEAMAROUND_PUBLIC_URL",
    "slack_api_url": "TEAMAROUND_SLACK_API_URL",
    "teams_login_url": "TEAMAROUND_TEAMS_LOGIN_URL",
    "graph_url": "TEAMAROUND_GRAPH_URL",
    "log_format": "TEAMAROUND_LOG_FORMAT",
    "secret_key": "TEAMAROUND_SECRET_KEY",
    "notify_api_key": "TEAMAROUND_NOTIFY_API_KEY",
    "notify_template_id": "TEAMAROUND_NOTIFY_TEMPLATE_ID",
    "notify_url": "TEAMAROUND_NOTIFY_URL",
    "smtp_url": "TEAMAROUND_SMTP_URL",
    "email_from": "TEAMAROUND_EMAIL_FROM",
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
