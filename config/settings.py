"""The one typed settings object: TOML file, then `PAPERWIRE_*` environment, then defaults.

Secrets are read from the environment only; a secret found in the config file is refused
with a message naming the variable to use instead.
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit
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

from paperwire.config.environment import EnvironmentReading, read_environment
from paperwire.config.masking import mask_url, mask_urls, url_secrets

log = logging.getLogger("paperwire.config")

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

    @field_validator("url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalize_database_url(value.strip())


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
        value = value.expanduser()
        if not value.is_absolute() and not value.exists() and (CONFIG_DIR.parent / value).exists():
            return CONFIG_DIR.parent / value
        if not value.is_file():
            raise ValueError(
                f"no such file; point it at a taxonomy TOML file (the default is {DEFAULT_TOPICS_FILE})"
            )
        return value


class SourcesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hf_base_url: str = "https://huggingface.co"
    arxiv_base_url: str = "https://export.arxiv.org"
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=10)
    arxiv_interval_seconds: float = Field(default=3.0, ge=0)

    @field_validator("hf_base_url", "arxiv_base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        return check_web_url(value)


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
    # A send with no answer in this long is in doubt (it may have been delivered).
    answer_timeout_seconds: float = Field(default=15.0, gt=0)

    @field_validator("chats", mode="before")
    @classmethod
    def _chat_list(cls, value: Any) -> Any:
        return _chat_targets(value)

    @field_validator("base_url", "webhook_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        return check_web_url(value)


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
    # A post with no answer in this long is in doubt (it is looked for before posting again).
    answer_timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_list(cls, value: Any) -> Any:
        return _chat_targets(value)

    @field_validator("base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        return check_web_url(value)


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

    @field_validator("base_url", "arxiv_html_base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        return check_web_url(value)


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # The public address of the archive pages and feeds (e.g. "https://papers.example.org/");
    # unset, links use the address each request came to.
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        return check_web_url(value)


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    build_time: str = "08:30"
    timezone: str = "UTC"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat"]
    )
    delivery_time: str = "09:00"
    misfire_grace_seconds: int = Field(default=6 * 3600, ge=0)

    @field_validator("days", mode="before")
    @classmethod
    def _lower_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                f"{value!r} is one word, not a list; use a list of mon..sun, "
                'e.g. days = ["mon", "tue"] or PAPERWIRE_SCHEDULE__DAYS=mon,tue'
            )
        if isinstance(value, list):
            return [item.strip().lower() if isinstance(item, str) else item for item in value]
        return value

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


def check_web_url(value: str | None) -> str | None:
    """An http(s) URL with a host, or ValueError naming the form."""
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("is not a web address; use an http:// or https:// URL, e.g. https://example.org/")
    return value.strip()


_DATABASE_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg", "postgres": "asyncpg"}


def normalize_database_url(value: str) -> str:
    """An async SQLAlchemy URL: `sqlite:///x` and `postgresql://...` get their async driver."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    form = "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise ValueError(f"is not a database URL; {form}") from None
    backend = url.get_backend_name()
    if backend not in _DATABASE_DRIVERS:
        raise ValueError(f"names the database {backend!r}, which paperwire does not support; {form}")
    driver = _DATABASE_DRIVERS[backend]
    if url.drivername in (backend, "postgres"):
        url = url.set(drivername=f"{'postgresql' if backend == 'postgres' else backend}+{driver}")
    elif url.get_driver_name() != driver:
        raise ValueError(f"uses the driver {url.get_driver_name()!r}; paperwire talks to {backend} through {driver}: {form}")
    return url.render_as_string(hide_password=False)


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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
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
        sources: list[PydanticBaseSettingsSource] = [init_settings, _EnvironmentSource(settings_cls)]
        config_file = _CONFIG_FILE.get("path")
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        value = value.expanduser()
        if value.exists() and not value.is_dir():
            raise ValueError("is a file, not a folder; point it at a folder paperwire may write into")
        return value

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.data_dir / 'paperwire.sqlite3'}"

    @property
    def llm_enabled(self) -> bool:
        return self.llm.api_key is not None or bool(self.llm.base_url)


_CONFIG_FILE: dict[str, Path | None] = {"path": None}
_ENVIRONMENT: dict[str, EnvironmentReading | None] = {"reading": None}

# Key names that hold a secret wherever they appear in a file (lower case, "-" read as "_").
SECRET_NAMES = frozenset(
    {key for _, key in SECRET_KEYS}
    | {"apikey", "password", "passwd", "secret", "access_token", "client_secret"}
)


class _EnvironmentSource(PydanticBaseSettingsSource):
    """`PAPERWIRE_*` variables as read by config/environment.py (lists as JSON or a,b,c)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False  # unused: __call__ returns the whole tree

    def __call__(self) -> dict[str, Any]:
        reading = _ENVIRONMENT["reading"]
        if reading is None:  # Settings() built directly (tests): read now, problems raise
            reading = read_environment(Settings, os.environ)
            if reading.problems:
                raise ConfigError("\n".join(reading.problems))
        return reading.values


def _file_problems(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The file's tree and every secret it holds, refused with the variable to use instead."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [f"--config {path}: no such file; pass an existing TOML file (see config/paperwire.example.toml)"]
    except IsADirectoryError:
        return None, [f"--config {path}: is a folder; pass a TOML file (see config/paperwire.example.toml)"]
    except (OSError, UnicodeDecodeError) as error:
        return None, [f"--config {path}: cannot be read ({error}); pass a readable UTF-8 TOML file"]
    except tomllib.TOMLDecodeError as error:
        return None, [f"--config {path}: is not valid TOML ({error}); see config/paperwire.example.toml"]
    problems: list[str] = []
    _find_secrets(data, (), path, problems)
    return data, problems


def _find_secrets(node: Any, where: tuple[str, ...], path: Path, problems: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*where, str(key))
            name = str(key).lower().replace("-", "_")
            if name in SECRET_NAMES and value not in (None, ""):
                problems.append(
                    f"{'.'.join(here)} in {path} is a secret and is not read from a file; "
                    f"set the environment variable {_secret_variable(here)} instead"
                )
            else:
                _find_secrets(value, here, path, problems)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _find_secrets(item, (*where, str(index)), path, problems)
    elif isinstance(node, str) and "://" in node:
        found = url_secrets(node)
        if found:
            key = ".".join(where)
            problems.append(
                f"{key} in {path} carries a secret ({', '.join(found)}): {mask_url(node)!r}; "
                f"set the environment variable {_url_variable(where)} instead"
            )


def _secret_variable(where: tuple[str, ...]) -> str:
    lowered = tuple(part.lower().replace("-", "_") for part in where)
    if len(lowered) == 2 and lowered in SECRET_KEYS:
        return SECRET_KEYS[lowered]  # type: ignore[index]
    if lowered and lowered[-1] in ("password", "passwd") and lowered[0] == "database":
        return "PAPERWIRE_DATABASE__URL (with the password in the URL)"
    for (section, key), variable in SECRET_KEYS.items():
        if lowered[-1] == key:
            return variable
    return "PAPERWIRE_" + "__".join(part.upper() for part in lowered)


def _url_variable(where: tuple[str, ...]) -> str:
    lowered = [part.lower() for part in where if not part.isdigit()]
    return "PAPERWIRE_" + "__".join(part.upper() for part in lowered)


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings once: environment over the TOML file over defaults.

    `config_file` falls back to `PAPERWIRE_CONFIG`. Raises ConfigError with one line per
    problem, every problem at once; variables that name no setting are logged as warnings.
    """
    from pydantic import ValidationError

    path = config_file or os.environ.get("PAPERWIRE_CONFIG")
    file_path = Path(path).expanduser() if path else None
    problems: list[str] = []
    if file_path is not None:
        data, problems = _file_problems(file_path)
        if data is None:
            file_path = None
    reading = read_environment(Settings, os.environ)
    for line in reading.unknown:
        log.warning("%s", line)
    problems.extend(reading.problems)
    _CONFIG_FILE["path"] = file_path
    _ENVIRONMENT["reading"] = reading
    settings: Settings | None = None
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        problems.extend(explain_validation_error(error, reading.variables, skip_secrets=True).splitlines())
    except ConfigError as error:
        problems.extend(str(error).splitlines())
    finally:
        _CONFIG_FILE["path"] = None
        _ENVIRONMENT["reading"] = None
    if problems or settings is None:
        raise ConfigError("\n".join(dict.fromkeys(problems)))
    return settings


_EXAMPLES: dict[str, str] = {
    "log_level": 'log_level = "INFO"',
    "digest.language": 'language = "en"   (or "zh")',
    "digest.max_papers": "max_papers = 6",
    "digest.topics_file": 'topics_file = "config/topics.toml"',
    "schedule.timezone": 'timezone = "Asia/Shanghai"',
    "schedule.build_time": 'build_time = "08:30"',
    "schedule.delivery_time": 'delivery_time = "09:00"',
    "schedule.days": 'days = ["mon", "tue", "wed", "thu", "fri"], or PAPERWIRE_SCHEDULE__DAYS=mon,tue,wed',
    "server.port": "port = 8080",
    "telegram.chats": 'PAPERWIRE_TELEGRAM__CHATS=\'["-1001234567890", "@mychannel"]\' or -1001234567890,@mychannel',
    "slack.channels": "PAPERWIRE_SLACK__CHANNELS='[\"C0123456789\"]' or C0123456789,C0987654321",
    "database.url": 'url = "postgresql+asyncpg://paperwire@db.example.org/paperwire"',
}


def _shown_value(key: str, value: Any) -> str:
    """A setting's value as an error line may show it: secrets hidden, URLs masked, short."""
    last = key.rsplit(".", 1)[-1].lower().replace("-", "_")
    if last in SECRET_NAMES or isinstance(value, SecretStr):
        return "'***'"
    text = mask_urls(repr(value) if not isinstance(value, (dict, list)) else json.dumps(value, default=str))
    return text if len(text) <= 80 else text[:77] + "..."


def explain_validation_error(
    error: Any, variables: dict[tuple[str, ...], str] | None = None, *, skip_secrets: bool = False
) -> str:
    """One line per problem: which key and value, what is wrong, and an example where we have one."""
    lines = []
    for problem in error.errors():
        loc = tuple(str(part) for part in problem["loc"])
        key = ".".join(loc)
        if skip_secrets and loc and loc[-1].lower().replace("-", "_") in SECRET_NAMES:
            continue  # refused as a secret in a file, with its own line
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "is not a setting paperwire knows (check the spelling; see config/paperwire.example.toml)"
        source = (variables or {}).get(loc[:2]) or (variables or {}).get(loc[:1])
        shown = key
        if problem["type"] != "missing" and "input" in problem:
            shown += f" = {_shown_value(key, problem['input'])}"
        if source:
            shown += f" (from {source})"
        line = f"{shown}: {message}"
        example = _EXAMPLES.get(key) or _EXAMPLES.get(".".join(loc[:2]))
        if example:
            line += f"; for example {example}"
        lines.append(line)
    return "\n".join(lines)
