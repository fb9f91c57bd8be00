"""Replies of the chat command core, as plain data that every formatter can render.

A view holds domain objects plus any words that `formatters/labels.py` does not have,
already in the reply's language, so formatters stay pure and never look up commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from paperwire.bot.models import Digest, DigestEntry, Exclusion, Language, Paper

MessageKind = Literal["info", "usage", "error", "not_found", "denied", "rate_limited"]


@dataclass(slots=True)
class MessageView:
    """A short text reply: usage help, an error, a confirmation, a refusal.

    `quiet` marks a repeat of a notice the user already got (a rate-limit refusal within
    the same window); adapters may skip sending it.
    """

    language: Language
    lines: list[str]
    kind: MessageKind = "info"
    quiet: bool = False


@dataclass(slots=True)
class DigestView:
    """The overview of one digest (`today`, `digest <date>`)."""

    language: Language
    digest: Digest


@dataclass(slots=True)
class CardView:
    """One paper's card (`paper ...`).

    `entry.pick.stars` is 0 when the paper was never picked (the card then shows no
    stars); `list_day` is the list the paper first appeared on, None for a paper known
    only from an on-demand lookup. `note` says where the card came from, in words.
    """

    language: Language
    entry: DigestEntry
    topic_names: dict[str, str]
    list_day: date | None = None
    note: str | None = None

    @property
    def picked(self) -> bool:
        return self.entry.pick.stars > 0


@dataclass(slots=True)
class PaperListItem:
    """A paper in a list reply, with the list day and topic it is filed under."""

    paper: Paper
    list_day: date | None
    topic: str | None
    topic_name: str | None
    stars: int | None = None


@dataclass(slots=True)
class PaperListView:
    """Papers as a ranked list (`search`, `topic`); `empty` is shown when there are none."""

    language: Language
    title: str
    items: list[PaperListItem]
    empty: str = ""
    note: str | None = None


@dataclass(slots=True)
class ExcludedView:
    """Every paper of a list day that was not picked, with its recorded reason."""

    language: Language
    list_day: date
    exclusions: list[Exclusion]


@dataclass(slots=True)
class TopicRow:
    id: str
    name: str
    count: int


@dataclass(slots=True)
class TopicsView:
    """The taxonomy with how many papers each topic had recently."""

    language: Language
    title: str
    columns: tuple[str, str, str]  # id, name, count headings
    rows: list[TopicRow]
    note: str | None = None


@dataclass(slots=True)
class TrendRow:
    topic: str
    name: str
    counts: list[int]  # one per day of TrendsView.days, oldest first

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(slots=True)
class TrendsView:
    """Topic counts per list day over a window."""

    language: Language
    title: str
    columns: tuple[str, str, str, str]  # topic, total, per day, by day headings
    days: list[date]
    rows: list[TrendRow]
    empty: str = ""


@dataclass(slots=True)
class SubscriptionView:
    """A chat's subscription as it now stands, after a change or when asked.

    The state is kept as data for adapters that draw controls; `fields` is the same in
    words (label, value), ready to print.
    """

    language: Language
    title: str
    subscribed: bool
    topics: list[str] = field(default_factory=list)
    delivery_time: str | None = None
    timezone: str | None = None
    reply_language: Language | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    note: str | None = None


@dataclass(slots=True)
class HelpView:
    """The commands, each as (usage, what it does)."""

    language: Language
    title: str
    commands: list[tuple[str, str]]
    note: str | None = None


View = (
    MessageView
    | DigestView
    | CardView
    | PaperListView
    | ExcludedView
    | TopicsView
    | TrendsView
    | SubscriptionView
    | HelpView
)
