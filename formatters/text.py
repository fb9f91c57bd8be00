"""Small pure text helpers every formatter shares: cleaning, cutting, naming, trend sentences.

They know no platform: escaping and length limits of a target stay in its own module.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from paperwire.bot.models import Digest, TopicTrend
from paperwire.bot.text.shorten import ELLIPSIS, shorten
from paperwire.formatters.labels import label

__all__ = ["ELLIPSIS", "format_count", "join_list", "one_line", "short_name", "shorten", "trend_observations"]

SHORT_NAME_CHARS = 40

# How far today must stray from the 7-day average before a trend gets its own sentence.
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
    """The trend sentences of a digest: today's mix of picks, then each topic against its
    recent days, or a note that there is no history yet to compare with."""
    language = digest.language
    names = digest.topic_names
    observations: list[str] = []
    counts = Counter(entry.pick.topic for entry in digest.entries)
    if counts:
        mix = join_list([f"{names.get(topic, topic)} {counts[topic]}" for topic in digest.topics], language)
        observations.append(label(language, "trend_mix", mix=mix))
    trends = [trend for trend in digest.trends if trend.today or trend.avg_7d or trend.avg_30d]
    if not any(trend.avg_7d or trend.avg_30d for trend in trends):
        observations.append(label(language, "trend_none"))
        return observations
    for trend in trends:
        observations.append(_trend_sentence(trend, names.get(trend.topic, trend.topic), language))
    return observations


def _trend_sentence(trend: TopicTrend, name: str, language: str) -> str:
    values = {
        "topic": name,
        "today": trend.today,
        "avg7": format_count(trend.avg_7d),
        "avg30": format_count(trend.avg_30d),
    }
    if trend.today >= trend.avg_7d + 1 and trend.today >= trend.avg_7d * _BUSIER_RATIO:
        return label(language, "trend_up", **values)
    if trend.avg_7d >= 1 and trend.today <= trend.avg_7d * _QUIETER_RATIO:
        return label(language, "trend_down", **values)
    return label(language, "trend_line", **values)
