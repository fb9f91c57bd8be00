"""Small pure text helpers every formatter shares: cleaning, cutting, naming, trend sentences.

They know no platform: escaping and length limits of a target stay in its own module.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from paperwire.bot.models import Digest, TopicTrend
from paperwire.bot.text.shorten import ELLIPSIS, shorten
from paperwire.formatters.labels import label

__all__ = [
    "ELLIPSIS", "days_span", "format_count", "join_list", "no_picks_notice", "one_line", "short_name", "shorten", "trend_observations",
]

SHORT_NAME_CHARS = 40

# How far today's picks must stray from the average before a topic is busier or quieter
# "than usual", and how many earlier days must be stored before anything is called usual.
MIN_USUAL_DAYS = 5
_BUSIER_RATIO = 1.5
_QUIETER_RATIO = 0.5
_LIST_SEPARATOR = {"en": ", ", "zh": "、"}


def one_line(text: str | None) -> str:
    """Whitespace runs (newlines included) collapsed to single spaces; control characters,
    lone surrogates and other invisible format junk dropped, so any text fits on one line."""
    if not text:
        return ""
    if text.isprintable():  # the usual case: only plain spaces to collapse
        return " ".join(text.split())
    kept = (char for char in text if char.isspace() or unicodedata.category(char) not in ("Cc", "Cs", "Co", "Cn"))
    return " ".join("".join(kept).split())


def short_name(title: str, limit: int = SHORT_NAME_CHARS) -> str:
    """What readers call a paper: "EnvHarness" for "EnvHarness: Awakening ...", when the
    part before the colon is short; otherwise the title's first words, truncated."""
    title = one_line(title)
    for colon in (":", "："):
        head, found, _ = title.partition(colon)
        head = head.strip()
        if found and 0 < len(head) <= limit:
            return head
    return shorten(title, limit)


def join_list(items: list[str], language: str) -> str:
    """Items joined the way the language writes a list ("A, B" or "A、B")."""
    return _LIST_SEPARATOR.get(language, ", ").join(items)


def format_count(value: float) -> str:
    """A daily average for reading: one decimal, none when it is whole ("2", "1.4")."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def trend_observations(digest: Digest) -> list[str]:
    """The trend sentences of a digest: today's mix of picks, then each topic against the
    earlier days stored (picks against picks, listed against listed), or a note that there
    is no history yet. With fewer than MIN_USUAL_DAYS earlier days nothing is called usual."""
    language = digest.language
    names = digest.topic_names
    observations: list[str] = []
    counts = Counter(entry.pick.topic for entry in digest.entries)
    if counts:
        mix = join_list([f"{names.get(topic, topic)} {counts[topic]}" for topic in digest.topics], language)
        observations.append(label(language, "trend_mix", mix=mix))
    picked_days = max((trend.picked_days for trend in digest.trends), default=0)
    listed_days = max((trend.listed_days for trend in digest.trends), default=0)
    history = max(picked_days, listed_days)
    if history == 0:
        observations.append(label(language, "trend_none"))
        return observations
    if history < MIN_USUAL_DAYS:
        observations.append(label(language, "trend_few", days=history))
    for trend in digest.trends:
        if trend.picked or trend.listed or trend.picked_avg or trend.listed_avg:
            observations.append(_trend_sentence(trend, names.get(trend.topic, trend.topic), language))
    return observations


def days_span(days: int, language: str) -> str:
    """The window a trend averages over, named by the days stored in it: "the 4 list days before"."""
    return label(language, "days_span_one") if days == 1 else label(language, "days_span", days=days)


def no_picks_notice(digest: Digest) -> str:
    """The one line a chat gets instead of an empty digest: the list day and how many it held."""
    return label(
        digest.language, "no_picks_day", date=digest.list_day.isoformat(), papers=len(digest.exclusions)
    )


def _trend_sentence(trend: TopicTrend, name: str, language: str) -> str:
    """Picks against earlier picks when enough curated days are stored; else the listed
    papers against earlier lists (an imported archive has lists, not picks); "usual" only
    with MIN_USUAL_DAYS of the history compared."""
    values = {
        "topic": name,
        "picked": trend.picked,
        "listed": trend.listed,
        "picked_avg": format_count(trend.picked_avg),
        "listed_avg": format_count(trend.listed_avg),
        "picked_span": days_span(trend.picked_days, language),
        "listed_span": days_span(trend.listed_days, language),
    }
    if trend.picked_days >= MIN_USUAL_DAYS:
        key = _direction(trend.picked, trend.picked_avg)
        return label(language, f"trend_{key}" if key else "trend_line", **values)
    if trend.listed_days >= MIN_USUAL_DAYS:
        key = _direction(trend.listed, trend.listed_avg)
        if key:
            return label(language, f"trend_{key}_listed", **values)
    return label(language, "trend_line" if trend.picked_days else "trend_line_listed", **values)


def _direction(today: int, average: float) -> str | None:
    if today >= average + 1 and today >= average * _BUSIER_RATIO:
        return "up"
    if average >= 1 and today <= average * _QUIETER_RATIO:
        return "down"
    return None
