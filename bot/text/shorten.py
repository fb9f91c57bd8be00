"""The one shortening rule of every renderer and of the extractive summarizer.

A cut never falls inside a number, a URL, a word, a mrkdwn link or entity, or an emoji
sequence, and never ends on a partial number: a digest must not show a figure its source
does not contain. Pure text in, text out; it knows no platform.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

# Scripts written without spaces: a cut may fall between any two of their characters.
_NO_SPACE = "\u0e00-\u0e7f\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
_WORD_CHAR = rf"(?:(?![{_NO_SPACE}])\w)"
# What a cut must never split: a URL, a mrkdwn link or entity, and a word or number together
# with its inner joints ("16.25", "1,000", "3:1", "GPT-4.5", "don't") and a trailing "%".
# Each pattern is searched on its own, so spans may overlap ("0https://x": a word and a URL).
_UNBREAKABLE = (
    re.compile(rf"(?:https?|ftp)://[^\s<>\"'{_NO_SPACE}]+"),
    re.compile(r"<[^<>\n]{1,3000}>|&#?\w{1,10};"),
    re.compile(rf"{_WORD_CHAR}+(?:(?:(?<=\d)[.,:/](?=\d)|[-'’.](?={_WORD_CHAR})){_WORD_CHAR}+)*%?"),
)
_TRAILING_FIGURE = re.compile(r"(?:(?<=\s)|^)[~≈+\-−±$(]?\d[\d.,]*(?:%|x|×)?$")
# Trailing marks a cut leaves dangling: dropped before the ellipsis, so "16." never ends a cut.
_DANGLING = " \t,;:.、，；：。-—–/(（[【'\"“‘"


def _joins_previous(char: str) -> bool:
    """True when `char` belongs to the character before it on screen (an accent, an emoji
    modifier, a variation selector, a zero-width joiner or a tag)."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _units(char: str, utf16: bool) -> int:
    return 2 if utf16 and ord(char) > 0xFFFF else 1


def shorten(text: str, limit: int, *, ellipsis: str = ELLIPSIS, utf16: bool = False, clause: bool = False) -> str:
    """At most `limit` characters (UTF-16 units with `utf16`, as Telegram and Slack count),
    ended with `ellipsis` when cut.

    With `clause`, a cut backs off to the last clause boundary in the kept text's second half.
    The one shortening rule of every formatter: a cut never falls inside a number, a URL,
    a word, a mrkdwn link or entity, or an emoji sequence, and never ends on a partial
    number ("16.25" never becomes "16." or "16"): a digest must not show a figure its
    source does not contain. Text with nowhere to cut becomes the ellipsis alone.
    """
    if limit <= 0:
        return ""
    measure = len(text) if not utf16 else sum(_units(char, True) for char in text)
    if measure <= limit:
        return text
    room = limit - sum(_units(char, utf16) for char in ellipsis)
    if room <= 0:
        return ellipsis[:limit]
    # The longest prefix within `room`...
    end, used = 0, 0
    for char in text:
        used += _units(char, utf16)
        if used > room:
            break
        end += 1
    # ...moved back to the nearest place where a cut splits nothing.
    inside: set[int] = set()
    for pattern in _UNBREAKABLE:
        for match in pattern.finditer(text, 0, min(len(text), end + 3100)):
            if match.start() >= end:
                break
            inside.update(range(match.start() + 1, match.end()))
    cut = end
    while True:
        while cut > 0 and (
            cut in inside
            or _joins_previous(text[cut])
            or text[cut - 1] == "\u200d"
            or _splits_flag(text, cut)
        ):
            cut -= 1
        head = text[:cut].rstrip(_DANGLING)
        # A cut right after a figure reads as if the figure itself were cut ("from ~3,600…"):
        # end before it instead.
        figure = _TRAILING_FIGURE.search(head)
        if figure:
            head = head[: figure.start()].rstrip(_DANGLING)
        if len(head) not in inside:  # dropping a trailing "/" must not split a URL either
            if clause:
                head = _at_clause(head)
            return head + ellipsis if head else ellipsis
        cut = len(head)


_CLAUSE_END = re.compile(r"[,;:]\s|\s[–—(]\s?|，|；|：")


def _at_clause(head: str) -> str:
    """`head` ended at its last clause boundary in its second half ("We propose X, a cache
    that evicts…" -> "We propose X…"), so a short summary does not stop mid-phrase."""
    ends = [match.start() for match in _CLAUSE_END.finditer(head) if match.start() >= len(head) // 2]
    return head[: ends[-1]].rstrip(_DANGLING) if ends else head


def _splits_flag(text: str, cut: int) -> bool:
    """True when `cut` falls between the two regional indicators of one flag emoji."""
    def regional(char: str) -> bool:
        return 0x1F1E6 <= ord(char) <= 0x1F1FF

    if not (regional(text[cut - 1]) and regional(text[cut])):
        return False
    run = 0
    index = cut - 1
    while index >= 0 and regional(text[index]):
        run += 1
        index -= 1
    return run % 2 == 1
