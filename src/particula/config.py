"""Configuration: every PARTICULA_* environment variable, read once into typed settings."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_RATE_LIMITS = {
    "auth.login": 10,
    "auth.register": 5,
    "auth.refresh": 30,
    "default": 120,
}


class ConfigError(ValueError):
    """A configuration value that cannot work; the message names the variable."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


@cache
def parse_rate_limits(text: str) -> dict[str, int] | None:
    """`off`, `on`, or `name=count,...` overrides of DEFAULT_RATE_LIMITS."""
    text = text.strip().lower()
    if text == "off":
        return None
    table = dict(DEFAULT_RATE_LIMITS)
    if text in {"", "on"}:
        return table
    for item in text.split(","):
        name, sep, count = item.partition("=")
        if not sep or not count.strip().isdigit():
            raise ConfigError(f"PARTICULA_RATE_LIMITS: {item.strip()!r} is not name=number")
        table[name.strip()] = int(count)
    return table


class Settings(BaseSettings):
    """Particula's settings; unset services mean the embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="PARTICULA_", extra="ignore")

    data_dir: Path = Path(".particula")
    database_url: str | None = None
    redis_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str = "us-east-1"
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    access_log: bool = True  # one line per request; switch off when a proxy in front keeps its own
    public_url: str | None = None  # how users reach us, e.g. https://particula.app (OAuth redirect URIs)
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limits: str = "on"
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # OAuth: a provider is enabled when its client id and secret are set. Base URLs are configurable so
    # tests (and self-hosted GitHub Enterprise) can point them elsewhere.
    oauth_google_client_id: str | None = None
    oauth_google_client_secret: str | None = None
    oauth_google_base_url: str = "https://accounts.google.com"
    oauth_github_client_id: str | None = None
    oauth_github_client_secret: str | None = None
    oauth_github_base_url: str = "https://github.com"
    oauth_github_api_url: str = "https://api.github.com"
    oauth_discord_client_id: str | None = None
    oauth_discord_client_secret: str | None = None
    oauth_discord_base_url: str = "https://discord.com"

    _split_admins = field_validator("admins", "trusted_proxies", mode="before")(_split_csv)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = urlsplit(value).scheme
        if scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
            raise ValueError(f"must start with postgresql:// (got {scheme or 'no scheme'!r})")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme = urlsplit(value).scheme
        if scheme not in {"redis", "rediss", "unix"}:
            raise ValueError(f"must start with redis://, rediss:// or unix:// (got {scheme or 'no scheme'!r})")
        return value

    @field_validator("s3_endpoint")
    @classmethod
    def _check_s3_endpoint(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value.rstrip("/")

    @property
    def rate_limit_table(self) -> dict[str, int] | None:
        """Per-endpoint limits per IP per 60 s, or None when switched off."""
        return parse_rate_limits(self.rate_limits)

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def uses_s3(self) -> bool:
        return self.s3_endpoint is not None

    def is_admin(self, username: str) -> bool:
        """Whether PARTICULA_ADMINS names this user (names compare ignoring case, as usernames do)."""
        return username.lower() in {name.lower() for name in self.admins}

    def resolved_secret_key(self) -> str:
        """The token-signing key: configured, or generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def load_settings() -> Settings:
    """Read settings from the environment, turning pydantic's errors into one clear ConfigError."""
    from pydantic import ValidationError

    try:
        settings = Settings()
        _ = settings.rate_limit_table
    except ValidationError as error:
        first = error.errors()[0]
        name = "PARTICULA_" + str(first["loc"][0]).upper() if first["loc"] else "configuration"
        raise ConfigError(f"{name}: {first['msg']}") from None
    return settings
