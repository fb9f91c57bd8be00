"""The one typed settings object: TOML file, then `PAPERWIRE_*` environment, then defaults.

Secrets are read from the environment only; a secret found in the config file is refused
with a message naming the variable to use instead.
"""

from __future__ import annotations

import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_TOPICS_FILE = CONFIG_DIR / "topics.toml"

# (section, key) -> environment variable; these may never come from a file.
SECRET_KEYS: dict[tuple[str, str], str] = {
    ("telegram", "token"): "PAPERWIRE_TELEGRAM__TOKEN",
    ("telegram", "webhook_secret"): "PAPERWIRE_TELEGRAM__WEBHOOK_SECRET",
    ("slack", "bot_token"): "PAPERWIRE_SLACK__BOT_TOKEN",
    ("slack", "app_token"): "PAPERWIRE_SLACK__APP_TOKEN",
    ("slack", "signing_secret"): "PAPERWIRE_SLACK__SIGNING_SECRET",
    ("llm", "api_key"): "PAPERWIRE_LLM__API_KEY",
}


class ConfigError(ValueError):
    """A configuration problem, phrased for the operator."""


class ChatTarget(BaseModel):
    """A chat that gets the digest: an id, optionally with its own language and topics."""

    model_config = ConfigDict(extra="forbid")

    id: str
    language: Literal["en", "zh"] | None = None
    topics: list[str] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_string(cls, value: Any) -> str:
        return str(value)


def _chat_targets(value: Any) -> Any:
    if isinstance(value, list):
        return [{"id": str(item)} if isinstance(item, (str, int)) else item for item in value]
    return value


class DatabaseSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    echo: bool = False
    # Messages sent or given up longer ago than this keep their outbox row (who got what,
    # when, its remote id) but lose their payload; checked once a day, at the build.
    outbox_retention_days: int = Field(default=30, ge=1, le=3650)


class DigestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["en", "zh"] = "en"
    max_papers: int = Field(default=6, ge=1, le=50)
    per_topic_cap: int = Field(default=3, ge=1, le=50)
    topics_file: Path = DEFAULT_TOPICS_FILE
    publish_offset_days: int = Field(default=1, ge=0, le=7)
    empty_day_notice: bool = False

    @field_validator("topics_file")
    @classmethod
    def _resolve_topics_file(cls, value: Path) -> Path:
        # A relative path is read from the working directory, else from the project folder,
        # so the example config's "config/topics.toml" works from anywhere.
        if not value.is_absolute() and not value.exists() and (CONFIG_DIR.parent / value).exists():
            return CONFIG_DIR.parent / value
        return value


class SourcesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hf_base_url: str = "https://huggingface.co"
    arxiv_base_url: str = "https://export.arxiv.org"
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=10)
    arxiv_interval_seconds: float = Field(default=3.0, ge=0)


class TelegramSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    chats: list[ChatTarget] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    rate_per_bot: float = Field(default=30.0, gt=0)
    rate_per_private_chat: float = Field(default=1.0, gt=0)
    rate_per_group_per_minute: float = Field(default=20.0, gt=0)
    in_flight: Literal["resend", "skip"] = "resend"

    @field_validator("chats", mode="before")
    @classmethod
    def _chat_list(cls, value: Any) -> Any:
        return _chat_targets(value)


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    base_url: str = "https://slack.com/api/"
    channels: list[ChatTarget] = Field(default_factory=list)
    thread_cards: bool = True
    rate_per_channel: float = Field(default=1.0, gt=0)
    rate_per_workspace: float = Field(default=100.0, gt=0)
    public_replies: bool = False
    admins_only: bool = False
    in_flight: Literal["resend", "skip"] = "resend"

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_list(cls, value: Any) -> Any:
        return _chat_targets(value)


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    full_text: bool = False
    concurrency: int = Field(default=4, ge=1, le=64)
    # Tokens one digest may spend; 0 means no limit. Past it, the rest get extractive cards.
    token_budget: int = Field(default=60_000, ge=0)
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=1, ge=0, le=5)
    max_tokens: int = Field(default=1200, ge=100)
    full_text_tokens: int = Field(default=3000, ge=0)
    arxiv_html_base_url: str = "https://arxiv.org"
    judge: bool = False


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # The public address of the archive pages and feeds (e.g. "https://papers.example.org/");
    # unset, links use the address each request came to.
    public_url: str | None = None


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    build_time: str = "08:30"
    timezone: str = "UTC"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat"]
    )
    delivery_time: str = "09:00"
    misfire_grace_seconds: int = Field(default=6 * 3600, ge=0)

    @field_validator("build_time", "delivery_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        parse_hhmm(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        check_timezone(value)
        return value


class CommandSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_user_per_minute: int = Field(default=20, ge=1)
    max_argument_length: int = Field(default=300, ge=10)
    search_results: int = Field(default=10, ge=1, le=50)


def parse_hhmm(value: str) -> time:
    """Parse `HH:MM` (24-hour) or raise ValueError with the right form."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise ValueError(f"{value!r} is not a time; use HH:MM, e.g. 09:00") from None


def check_timezone(value: str) -> ZoneInfo:
    """Return the zone for an IANA name or raise ValueError naming the right form."""
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"{value!r} is not a time zone; use an IANA name, e.g. Europe/Berlin") from None


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("paperwire", appauthor=False))


class Settings(BaseSettings):
    """Everything paperwire can be told; see config/paperwire.example.toml."""

    model_config = SettingsConfigDict(
        env_prefix="PAPERWIRE_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: str = "INFO"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    commands: CommandSettings = Field(default_factory=CommandSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _CONFIG_FILE.get("path")
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.data_dir / 'paperwire.sqlite3'}"

    @property
    def llm_enabled(self) -> bool:
        return self.llm.api_key is not None or bool(self.llm.base_url)


_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def _refuse_secrets_in_file(path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    for (section, key), variable in SECRET_KEYS.items():
        if isinstance(data.get(section), dict) and key in data[section]:
            raise ConfigError(
                f"{section}.{key} is a secret and is not read from {path}; "
                f"set the environment variable {variable} instead"
            )
    database = data.get("database")
    if isinstance(database, dict) and isinstance(database.get("url"), str):
        if _url_has_password(database["url"]):
            raise ConfigError(
                f"database.url in {path} carries a password; "
                "set the environment variable PAPERWIRE_DATABASE__URL instead"
            )


def _url_has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password is not None
    except Exception:  # an unparsable URL is reported by the engine later
        return False


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings once: environment over the TOML file over defaults.

    `config_file` falls back to `PAPERWIRE_CONFIG`. Raises ConfigError with one line per problem.
    """
    from pydantic import ValidationError

    path = config_file or os.environ.get("PAPERWIRE_CONFIG")
    _CONFIG_FILE["path"] = Path(path) if path else None
    try:
        if _CONFIG_FILE["path"] is not None:
            _refuse_secrets_in_file(_CONFIG_FILE["path"])
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(explain_validation_error(error)) from None
    finally:
        _CONFIG_FILE["path"] = None


_EXAMPLES: dict[str, str] = {
    "digest.language": 'language = "en"   (or "zh")',
    "digest.max_papers": "max_papers = 6",
    "schedule.timezone": 'timezone = "Asia/Shanghai"',
    "schedule.build_time": 'build_time = "08:30"',
    "schedule.delivery_time": 'delivery_time = "09:00"',
    "schedule.days": 'days = ["mon", "tue", "wed", "thu", "fri"]',
    "server.port": "port = 8080",
    "telegram.chats": 'PAPERWIRE_TELEGRAM__CHATS=\'["-1001234567890", "@mychannel"]\'',
    "slack.channels": "PAPERWIRE_SLACK__CHANNELS='[\"C0123456789\"]'",
}


def explain_validation_error(error: Any) -> str:
    """One line per problem: which key, what is wrong, and an example where we have one."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "is not a setting paperwire knows (check the spelling)"
        line = f"{key}: {message}"
        example = _EXAMPLES.get(key) or _EXAMPLES.get(".".join(str(p) for p in problem["loc"][:2]))
        if example:
            line += f"; for example {example}"
        lines.append(line)
    return "\n".join(lines)
