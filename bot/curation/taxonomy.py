"""The topic taxonomy: include topics and exclusion families, read from a TOML file.

A user may point `digest.topics_file` at their own file, so every mistake in it is reported
with the file and the line of the offending entry rather than as a stack trace.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from paperwire.bot.errors import ConfigurationError

logger = logging.getLogger(__name__)

FamilyKind = Literal["family", "paper_type"]
FAMILY_KINDS: tuple[FamilyKind, ...] = ("family", "paper_type")
LANGUAGES = ("en", "zh")

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_HEADER = re.compile(r"^\s*\[\[\s*(topic|family)\s*\]\]")
_SEPARATORS = re.compile(r"[\s\-_/·]+")
_WILDCARD = re.compile(r"^(?:\*[^\W_]+|[^\W_]+\*)$")

_TOPIC_KEYS = frozenset({"id", "name", "keywords", "negative", "title_keywords"})
_FAMILY_KEYS = _TOPIC_KEYS | {"reason", "kind"}


class TaxonomyError(ConfigurationError, ValueError):
    """A taxonomy file that cannot be used; the message names the file and the line."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A research direction the digest picks papers from."""

    id: str
    name: dict[str, str]
    keywords: tuple[str, ...]
    negative: tuple[str, ...] = ()
    title_keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Family:
    """An exclusion family: papers that fall here are left out, with `reason` as the why.

    `kind` is "paper_type" when the family is a kind of paper (technical report, benchmark,
    survey) rather than a field, so the recorded reason can say so. `title_keywords` count
    only in a title, where a paper names its own type ("... Technical Report", "XBench").
    """

    id: str
    name: dict[str, str]
    keywords: tuple[str, ...]
    negative: tuple[str, ...]
    reason: dict[str, str]
    kind: FamilyKind = "family"
    title_keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Topics and families in file order; `fingerprint` changes when their content does."""

    topics: tuple[Topic, ...]
    families: tuple[Family, ...]
    fingerprint: str

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError names the known ids."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        known = ", ".join(topic.id for topic in self.topics)
        raise KeyError(f"no topic {topic_id!r}; known topics: {known}")

    def family(self, family_id: str) -> Family:
        """The family with this id; KeyError names the known ids."""
        for family in self.families:
            if family.id == family_id:
                return family
        known = ", ".join(family.id for family in self.families)
        raise KeyError(f"no family {family_id!r}; known families: {known}")

    def find_topic(self, name: str) -> Topic | None:
        """The topic a user means: its id or any of its names, ignoring case and separators."""
        wanted = _loose(name)
        if not wanted:
            return None
        for topic in self.topics:
            if wanted in {_loose(topic.id), *(_loose(text) for text in topic.name.values())}:
                return topic
        return None

    def topic_names(self, language: str) -> dict[str, str]:
        """Topic id -> display name in `language` (English when the language is unknown)."""
        return {topic.id: topic.name.get(language, topic.name["en"]) for topic in self.topics}

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(topic.id for topic in self.topics)


def _loose(text: str) -> str:
    return _SEPARATORS.sub("", text.casefold())


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and check a taxonomy file; TaxonomyError says what is wrong and where."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaxonomyError(f"{path}: taxonomy file not found (set digest.topics_file)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TaxonomyError(f"{path}: cannot read the taxonomy file: {error}") from None
    taxonomy = parse_taxonomy(text, str(path))
    logger.debug(
        "taxonomy %s: %d topics, %d families", path, len(taxonomy.topics), len(taxonomy.families)
    )
    return taxonomy


def parse_taxonomy(text: str, origin: str) -> Taxonomy:
    """Parse taxonomy TOML; `origin` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TaxonomyError(_syntax_message(str(error), origin)) from None
    return _Checker(text, origin).build(data)


def _syntax_message(message: str, origin: str) -> str:
    position = _TOML_POSITION.search(message)
    if position is None:
        return f"{origin}: not valid TOML: {message}"
    line, column = position.groups()
    detail = message[: position.start()]
    return f"{origin}, line {line}, column {column}: not valid TOML: {detail}"


@dataclass(slots=True)
class _Entry:
    """One [[topic]] or [[family]] table, and the lines it spans in the file."""

    data: dict[str, Any]
    label: str  # how messages name it, e.g. topic "Agentic RL"
    start: int
    end: int


class _Checker:
    """Turns parsed TOML into a Taxonomy, locating every problem in the original text."""

    def __init__(self, text: str, origin: str) -> None:
        self.lines = text.splitlines()
        self.origin = origin
        self.headers: dict[str, list[int]] = {"topic": [], "family": []}
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                self.headers[header.group(1)].append(number)
        self.seen: dict[str, str] = {}  # id -> label of the entry that used it first

    def build(self, data: dict[str, Any]) -> Taxonomy:
        unknown = sorted(set(data) - {"topic", "family"})
        if unknown:
            raise self.error(
                self.find_key(unknown[0], 1, len(self.lines)) or 1,
                f"unknown section {unknown[0]!r}; a taxonomy holds [[topic]] and [[family]] tables",
            )
        topic_entries = self.entries(data, "topic")
        if not topic_entries:
            raise self.error(1, "no [[topic]] tables; the digest needs at least one topic")
        topics = tuple(self.topic(entry) for entry in topic_entries)
        families = tuple(self.family(entry) for entry in self.entries(data, "family"))
        fingerprint = _fingerprint(topics, families)
        return Taxonomy(topics=topics, families=families, fingerprint=fingerprint)

    def entries(self, data: dict[str, Any], section: str) -> list[_Entry]:
        tables = data.get(section, [])
        if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
            line = self.find_key(section, 1, len(self.lines)) or 1
            raise self.error(line, f"{section} must be written as [[{section}]] tables")
        headers = self.headers[section]
        all_headers = sorted(line for lines in self.headers.values() for line in lines)
        entries = []
        for number, table in enumerate(tables):
            if number < len(headers):
                start = headers[number]
                later = [line for line in all_headers if line > start]
                end = later[0] - 1 if later else len(self.lines)
            else:  # written some other way, e.g. as an inline array: search the whole file
                start, end = 1, len(self.lines)
            entries.append(_Entry(table, _label(section, table, number), start, end))
        return entries

    def topic(self, entry: _Entry) -> Topic:
        self.no_unknown_keys(entry, _TOPIC_KEYS)
        return Topic(
            id=self.entry_id(entry),
            name=self.localized(entry, "name"),
            keywords=self.words(entry, "keywords", required=True),
            negative=self.words(entry, "negative"),
            title_keywords=self.words(entry, "title_keywords"),
        )

    def family(self, entry: _Entry) -> Family:
        self.no_unknown_keys(entry, _FAMILY_KEYS)
        family_id = self.entry_id(entry)
        kind = entry.data.get("kind", "family")
        if kind not in FAMILY_KINDS:
            raise self.error(
                self.line_of(entry, "kind"),
                f'{entry.label} kind must be "family" or "paper_type", not {kind!r}',
            )
        return Family(
            id=family_id,
            name=self.localized(entry, "name"),
            keywords=self.words(entry, "keywords", required=True),
            negative=self.words(entry, "negative"),
            reason=self.localized(entry, "reason"),
            kind=kind,
            title_keywords=self.words(entry, "title_keywords"),
        )

    def entry_id(self, entry: _Entry) -> str:
        value = entry.data.get("id")
        if not isinstance(value, str) or not value.strip():
            raise self.error(entry.start, f'{entry.label} has no id; add e.g. id = "agentic-rl"')
        line = self.line_of(entry, "id")
        if not _KEBAB.match(value):
            example = _suggest_id(value)
            raise self.error(line, f"{entry.label} id must be kebab-case, e.g. {example}")
        if value in self.seen:
            first = self.seen[value]
            raise self.error(line, f"{entry.label} repeats the id {value!r} of {first}")
        self.seen[value] = entry.label
        return value

    def localized(self, entry: _Entry, key: str) -> dict[str, str]:
        value = entry.data.get(key)
        example = f'{key} = {{ en = "...", zh = "..." }}'
        if value is None:
            raise self.error(entry.start, f"{entry.label} has no {key}; add {example}")
        line = self.line_of(entry, key)
        if not isinstance(value, dict):
            raise self.error(line, f"{entry.label} {key} must be a table: {example}")
        for language in LANGUAGES:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                raise self.error(line, f"{entry.label} {key} needs {language} text: {example}")
        return {language: text.strip() for language, text in value.items() if isinstance(text, str)}

    def words(self, entry: _Entry, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = entry.data.get(key)
        if value is None:
            if required:
                raise self.error(entry.start, f'{entry.label} has no {key}; add {key} = ["..."]')
            return ()
        line = self.line_of(entry, key)
        if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
            example = f'{key} = ["a", "b"]'
            raise self.error(line, f"{entry.label} {key} must be a list of strings: {example}")
        words: list[str] = []
        for word in value:
            cleaned = " ".join(word.split())
            if not cleaned.strip("*"):
                raise self.error(line, f"{entry.label} {key} holds an empty keyword")
            if "*" in cleaned and not _WILDCARD.match(cleaned):
                raise self.error(
                    line,
                    f"{entry.label} {key}: {word!r} may use * only at the start or end "
                    'of a single word, e.g. "*bench"',
                )
            if cleaned.casefold() not in {known.casefold() for known in words}:
                words.append(cleaned)
        if required and not words:
            raise self.error(line, f"{entry.label} {key} is empty; give at least one keyword")
        return tuple(words)

    def no_unknown_keys(self, entry: _Entry, allowed: frozenset[str]) -> None:
        for key in entry.data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                raise self.error(
                    self.line_of(entry, key),
                    f"{entry.label} has an unknown key {key!r} (expected one of {expected})",
                )

    def line_of(self, entry: _Entry, key: str) -> int:
        """The line that sets `key` in this entry, or the entry's header line."""
        return self.find_key(key, entry.start, entry.end) or entry.start

    def find_key(self, key: str, start: int, end: int) -> int | None:
        """The first line in start..end that sets `key`: `key = `, `key.x = ` or `[key]`."""
        name = rf'(?:{re.escape(key)}|"{re.escape(key)}")'
        pattern = re.compile(rf"^\s*(?:{name}\s*[=.]|\[+\s*{name}\s*[\].])")
        for number in range(start, min(end, len(self.lines)) + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return None

    def error(self, line: int, message: str) -> TaxonomyError:
        return TaxonomyError(f"{self.origin}, line {line}: {message}")


def _label(section: str, table: dict[str, Any], number: int) -> str:
    name = table.get("name")
    if isinstance(name, dict) and isinstance(name.get("en"), str) and name["en"].strip():
        return f'{section} "{name["en"].strip()}"'
    if isinstance(table.get("id"), str) and table["id"].strip():
        return f'{section} "{table["id"].strip()}"'
    return f"{section} #{number + 1}"


def _suggest_id(value: str) -> str:
    suggestion = re.sub(r"[^a-z0-9]+", "-", value.casefold()).strip("-")
    return suggestion or "agentic-rl"


def _fingerprint(topics: tuple[Topic, ...], families: tuple[Family, ...]) -> str:
    """sha256 over the content that matters, so comments and layout do not change it."""
    content = {
        "topics": [
            [t.id, t.name, list(t.keywords), list(t.negative), list(t.title_keywords)]
            for t in topics
        ],
        "families": [
            [f.id, f.name, list(f.keywords), list(f.negative), list(f.title_keywords)]
            + [f.reason, f.kind]
            for f in families
        ],
    }
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
