"""Twenty broken configurations a new operator could write, across every verb.

Each is (name, environment, config file text or None, argv, words the one error line must
hold). Used by tests/service/test_new_operator.py and bench/new_operator.py; everything here
is invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SECRET_TOKEN = "123456:SECRET-in-the-file"
SECRET_PASSWORD = "S3cr3t-query-password"
SECRET_KEY = "K-llm-query-key"
SECRET_USERINFO = "PW-llm-userinfo"
SECRETS = (SECRET_TOKEN, SECRET_PASSWORD, SECRET_KEY, SECRET_USERINFO)


@dataclass(frozen=True)
class BrokenConfig:
    name: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    toml: str | None = None
    expect: tuple[str, ...] = ()


CASES: tuple[BrokenConfig, ...] = (
    BrokenConfig("chats list that is not JSON", ("config", "check"),
                 {"PAPERWIRE_TELEGRAM__CHATS": '["@mychannel",'},
                 expect=("telegram.chats", "PAPERWIRE_TELEGRAM__CHATS", "JSON")),
    BrokenConfig("a weekday that is none", ("digest", "--source", "sample"),
                 {"PAPERWIRE_SCHEDULE__DAYS": "mon,funday"}, expect=("schedule.days", "funday", "'mon'")),
    BrokenConfig("log level LOUD", ("ask", "help"), {"PAPERWIRE_LOG_LEVEL": "LOUD"},
                 expect=("log_level", "LOUD", "INFO")),
    BrokenConfig("language fr", ("publish", "--dry-run"), {"PAPERWIRE_DIGEST__LANGUAGE": "fr"},
                 expect=("digest.language", "'fr'", "'zh'")),
    BrokenConfig("max papers many", ("import", "."), {"PAPERWIRE_DIGEST__MAX_PAPERS": "many"},
                 expect=("digest.max_papers", "many", "integer")),
    BrokenConfig("port out of range", ("serve",), {"PAPERWIRE_SERVER__PORT": "99999"},
                 expect=("server.port", "99999", "65535")),
    BrokenConfig("a time zone on Mars", ("site", "--out", "site"), {"PAPERWIRE_SCHEDULE__TIMEZONE": "Mars/Base"},
                 expect=("schedule.timezone", "Mars/Base", "IANA")),
    BrokenConfig("build time 9am", ("config", "check"), {"PAPERWIRE_SCHEDULE__BUILD_TIME": "9am"},
                 expect=("schedule.build_time", "9am", "HH:MM")),
    BrokenConfig("a file that is not TOML", ("digest",), toml="[digest\nlanguage = 'en'\n",
                 expect=("--config", "not valid TOML")),
    BrokenConfig("a section spelled with a capital and a token in it", ("publish", "--dry-run"),
                 toml=f'[Telegram]\nToken = "{SECRET_TOKEN}"\n', expect=("Telegram.Token", "PAPERWIRE_TELEGRAM__TOKEN")),
    BrokenConfig("a database password in the URL's query", ("config", "check"),
                 toml=f'[database]\nurl = "postgresql+asyncpg://pw@db.example.org/pw?password={SECRET_PASSWORD}"\n',
                 expect=("database.url", "PAPERWIRE_DATABASE__URL", "password=***")),
    BrokenConfig("an LLM URL with credentials", ("ask", "today"),
                 toml=f'[llm]\nbase_url = "http://u:{SECRET_USERINFO}@llm.example.org/v1?api-key={SECRET_KEY}"\n',
                 expect=("llm.base_url", "PAPERWIRE_LLM__BASE_URL", "***@llm.example.org")),
    BrokenConfig("a misspelled key in a section", ("digest", "--source", "sample"),
                 toml='[digest]\nlangauge = "zh"\n', expect=("digest.langauge", "not a setting")),
    BrokenConfig("a taxonomy file that is not there", ("ask", "topics"),
                 {"PAPERWIRE_DIGEST__TOPICS_FILE": "/nonexistent/topics.toml"},
                 expect=("digest.topics_file", "/nonexistent/topics.toml", "no such file")),
    BrokenConfig("a chat with a language that is none", ("publish", "--dry-run"),
                 {"PAPERWIRE_TELEGRAM__CHATS": '[{"id": "-1001", "language": "fr"}]'},
                 expect=("telegram.chats.0.language", "'fr'", "'en'")),
    BrokenConfig("a yes/no that is maybe", ("serve",), {"PAPERWIRE_SLACK__THREAD_CARDS": "maybe"},
                 expect=("slack.thread_cards", "maybe", "boolean")),
    BrokenConfig("a database URL that is none", ("import", "."), {"PAPERWIRE_DATABASE__URL": "notaurl"},
                 expect=("database.url", "notaurl", "postgresql+asyncpg://")),
    BrokenConfig("a base URL without its scheme", ("ask", "paper 2602.99999"),
                 {"PAPERWIRE_SOURCES__HF_BASE_URL": "huggingface.co"},
                 expect=("sources.hf_base_url", "huggingface.co", "https://")),
    BrokenConfig("a section given as broken JSON", ("site", "--out", "site"), {"PAPERWIRE_TELEGRAM": "{chats: 1}"},
                 expect=("telegram", "PAPERWIRE_TELEGRAM", "JSON object")),
    BrokenConfig("days as one word in the file", ("digest", "--source", "sample"),
                 toml='[schedule]\ndays = "mon"\n', expect=("schedule.days", "'mon'", "list")),
)  # fmt: skip


def prepare(case: BrokenConfig, folder: Path) -> tuple[list[str], dict[str, str]]:
    """(argv after `paperwire`, environment additions) for one case, its config file written."""
    argv = list(case.argv)
    if case.toml is not None:
        path = folder / "paperwire.toml"
        path.write_text(case.toml, encoding="utf-8")
        argv = ["--config", str(path), *argv]
    return argv, dict(case.env)
