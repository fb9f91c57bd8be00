"""A command line as people type it in a chat, turned into a typed command or a ParseError.

Syntax only: names are matched against the taxonomy and dates against the store later,
in the core. Accepts `/cmd`, Telegram's `/cmd@BotName`, Slack's `papers <cmd>` and any case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from paperwire.bot.models import LANGUAGES, Language
from paperwire.bot.sources.ids import normalize_arxiv_ref
from paperwire.config.settings import check_timezone, parse_hhmm
from paperwire.formatters.text import shorten

DEFAULT_DAYS = 7
MAX_DAYS = 90

_ALIASES = {"start": "help"}
_ECHO_CHARS = 40
# The Slack slash command is `/papers <subcommand>`; typed whole it still works.
PREFIXES = ("papers", "paperwire")

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELATIVE_DAYS = {"today": "today", "yesterday": "yesterday", "今天": "today", "昨天": "yesterday"}
_SETTING_KEYS = {
    "time": "time",
    "at": "time",
    "tz": "timezone",
    "timezone": "timezone",
    "zone": "timezone",
    "lang": "language",
    "language": "language",
}


@dataclass(frozen=True, slots=True)
class DayRef:
    """A day as typed: an ISO date, or `today` / `yesterday` (relative to published digests)."""

    kind: Literal["date", "today", "yesterday"]
    day: date | None = None


@dataclass(frozen=True, slots=True)
class Today:
    pass


@dataclass(frozen=True, slots=True)
class DigestCommand:
    day: DayRef | None = None


@dataclass(frozen=True, slots=True)
class PaperCommand:
    """`arxiv_id` when the text names an arXiv paper, else `text` holds title words."""

    text: str
    arxiv_id: str | None = None
    looks_like_link: bool = False


@dataclass(frozen=True, slots=True)
class SearchCommand:
    words: str


@dataclass(frozen=True, slots=True)
class RelatedCommand:
    """The papers nearest to one paper, named by its arXiv id or link."""

    arxiv_id: str


@dataclass(frozen=True, slots=True)
class VoteCommand:
    """👍 (`like`, +1) or 👎 (`dislike`, -1) on one paper, for this chat's ranking."""

    arxiv_id: str
    value: int


@dataclass(frozen=True, slots=True)
class LikeCommand(VoteCommand):
    pass


@dataclass(frozen=True, slots=True)
class DislikeCommand(VoteCommand):
    pass


@dataclass(frozen=True, slots=True)
class TasteCommand:
    """What this chat's votes taught; `reset` forgets them."""

    reset: bool = False

    @property
    def changes_anything(self) -> bool:
        """Only forgetting changes the chat (and needs an admin in a group)."""
        return self.reset


@dataclass(frozen=True, slots=True)
class TopicsCommand:
    pass


@dataclass(frozen=True, slots=True)
class TopicCommand:
    name: str
    days: int = DEFAULT_DAYS


@dataclass(frozen=True, slots=True)
class ExcludedCommand:
    day: DayRef | None = None


@dataclass(frozen=True, slots=True)
class TrendsCommand:
    days: int = DEFAULT_DAYS


@dataclass(frozen=True, slots=True)
class SubscribeCommand:
    """Topic words as typed; none means every topic. The core resolves names."""

    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnsubscribeCommand:
    pass


@dataclass(frozen=True, slots=True)
class SettingsCommand:
    """Only the settings given; nothing given means "show the current settings"."""

    time: str | None = None
    timezone: str | None = None
    language: Language | None = None

    @property
    def changes_anything(self) -> bool:
        return any(value is not None for value in (self.time, self.timezone, self.language))


@dataclass(frozen=True, slots=True)
class HelpCommand:
    command: str | None = None
    unknown: str | None = None  # `help nonsense`: what was asked about, which is no command


Command = (
    Today
    | DigestCommand
    | PaperCommand
    | SearchCommand
    | RelatedCommand
    | LikeCommand
    | DislikeCommand
    | TasteCommand
    | TopicsCommand
    | TopicCommand
    | ExcludedCommand
    | TrendsCommand
    | SubscribeCommand
    | UnsubscribeCommand
    | SettingsCommand
    | HelpCommand
)


@dataclass(frozen=True, slots=True)
class ParseError:
    """What is wrong with a line: a message key of handlers/messages.py and its values.

    `command` is the command the line was for (its usage is shown), None when unknown.
    """

    problem: str
    command: str | None = None
    values: dict[str, str | int] = field(default_factory=dict)


Parser = Callable[[str], "Command | ParseError"]


def clean_line(line: str) -> str:
    """The line with control characters and lone surrogates turned into spaces, trimmed."""
    return "".join(" " if _unprintable(char) else char for char in line).strip()


def _unprintable(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")


def first_word(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any Unicode space (a CJK keyboard types U+3000)."""
    parts = text.split(maxsplit=1)
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def command_name(word: str) -> str:
    word = word.lstrip("/")
    word = word.split("@", 1)[0]  # Telegram: /cmd@BotName
    word = word.casefold()
    return _ALIASES.get(word, word)


def echo(text: str) -> str:
    """What the user typed, echoed in a usage reply: short enough to read."""
    return shorten(text, _ECHO_CHARS)


def no_arguments(name: str) -> Parser:
    def parse(rest: str) -> Command | ParseError:
        if rest:
            return ParseError("no_arguments", name)
        return _NO_ARGUMENT_COMMANDS[name]

    return parse


def parse_day(text: str) -> DayRef | None:
    """`YYYY-MM-DD`, `today` or `yesterday` (case-insensitive), else None."""
    word = text.strip().casefold()
    if word in _RELATIVE_DAYS:
        return DayRef(_RELATIVE_DAYS[word])  # type: ignore[arg-type]
    if _ISO_DAY.match(word):
        try:
            return DayRef("date", date.fromisoformat(word))
        except ValueError:
            return None
    return None


def optional_day(name: str, build: type[DigestCommand] | type[ExcludedCommand]) -> Parser:
    def parse(rest: str) -> Command | ParseError:
        if not rest:
            return build()
        day = parse_day(rest)
        if day is None:
            return ParseError("bad_date", name, {"value": echo(rest)})
        return build(day)

    return parse


def parse_days(text: str) -> int | None:
    """A whole number of days in 1..MAX_DAYS, else None."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        return None
    days = int(text)
    return days if 1 <= days <= MAX_DAYS else None


def parse_paper(rest: str) -> Command | ParseError:
    text = rest.strip().strip("\"'“”«»`")
    if not text:
        return ParseError("missing_argument", "paper")
    arxiv_id = normalize_arxiv_ref(text)
    if arxiv_id is not None:
        return PaperCommand(text, arxiv_id)
    lowered = text.casefold()
    link = "://" in lowered or lowered.startswith(("arxiv.org/", "huggingface.co/", "hf.co/", "arxiv:"))
    return PaperCommand(text, None, looks_like_link=link)


def parse_search(rest: str) -> Command | ParseError:
    words = rest.strip().strip("\"'“”«»`")
    if not any(char.isalnum() for char in words):
        return ParseError("missing_argument", "search")
    return SearchCommand(words)


def parse_related(rest: str) -> Command | ParseError:
    text = rest.strip().strip("\"'“”«»`")
    if not text:
        return ParseError("missing_argument", "related")
    arxiv_id = normalize_arxiv_ref(text)
    if arxiv_id is None:
        return ParseError("bad_paper_id", "related", {"value": echo(text)})
    return RelatedCommand(arxiv_id)


def vote_parser(name: str, kind: type[LikeCommand] | type[DislikeCommand], value: int) -> Parser:
    def parse(rest: str) -> Command | ParseError:
        text = rest.strip().strip("\"'“”«»`")
        if not text:
            return ParseError("missing_argument", name)
        arxiv_id = normalize_arxiv_ref(text)
        if arxiv_id is None:
            return ParseError("bad_paper_id", name, {"value": echo(text)})
        return kind(arxiv_id, value)

    return parse


def parse_taste(rest: str) -> Command | ParseError:
    word = rest.strip().casefold()
    if not word:
        return TasteCommand()
    if word in ("reset", "forget", "clear"):
        return TasteCommand(reset=True)
    return ParseError("bad_taste", "taste", {"value": echo(rest.strip())})


def parse_topic(rest: str) -> Command | ParseError:
    words = rest.split()
    if not words:
        return ParseError("missing_argument", "topic")
    days = DEFAULT_DAYS
    if len(words) > 1 and words[-1].isdigit():
        parsed = parse_days(words[-1])
        if parsed is None:
            return ParseError("bad_days", "topic", {"value": echo(words[-1]), "max": MAX_DAYS})
        days = parsed
        words = words[:-1]
    return TopicCommand(" ".join(words), days)


def parse_trends(rest: str) -> Command | ParseError:
    if not rest:
        return TrendsCommand()
    days = parse_days(rest)
    if days is None:
        return ParseError("bad_days", "trends", {"value": echo(rest), "max": MAX_DAYS})
    return TrendsCommand(days)


def parse_subscribe(rest: str) -> Command | ParseError:
    words = tuple(word for word in re.split(r"[\s,，、;]+", rest) if word)
    return SubscribeCommand(words)


def parse_settings(rest: str) -> Command | ParseError:
    words = rest.split()
    values: dict[str, str] = {}
    index = 0
    while index < len(words):
        key = _SETTING_KEYS.get(words[index].casefold().rstrip(":=").lstrip("-"))
        if key is None:
            return ParseError("bad_setting", "settings", {"value": echo(words[index])})
        if index + 1 >= len(words):
            return ParseError("setting_needs_value", "settings", {"setting": words[index]})
        values[key] = words[index + 1]
        index += 2
    time_text = values.get("time")
    if time_text is not None:
        try:
            time_text = parse_hhmm(time_text).strftime("%H:%M")
        except ValueError:
            return ParseError("bad_time", "settings", {"value": echo(values["time"])})
    zone = values.get("timezone")
    if zone is not None:
        try:
            check_timezone(zone)
        except ValueError:
            return ParseError("bad_timezone", "settings", {"value": echo(zone)})
    language = values.get("language")
    if language is not None:
        language = language.casefold()
        if language not in LANGUAGES:
            return ParseError("bad_language", "settings", {"value": echo(values["language"])})
    return SettingsCommand(time_text, zone, language)  # type: ignore[arg-type]


# Words that are a whole command on their own, though not in the command list.
SHORTCUTS: dict[str, Command] = {"yesterday": DigestCommand(DayRef("yesterday"))}

_NO_ARGUMENT_COMMANDS: dict[str, Command] = {
    "today": Today(),
    "topics": TopicsCommand(),
    "unsubscribe": UnsubscribeCommand(),
}
