"""Sentence splitting and number extraction over paper text.

Shared by the extractive summarizer and the grounding check of generated summaries: both
need to agree on what a sentence is and on when two spellings are the same number
(`16.2×` and `16.2 x`, `95%` and `95 %`, `1.5 billion` and `1.5B`).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words whose trailing period does not end a sentence (lowercase, period included).
_ABBREVIATIONS = frozenset(
    {
        "e.g.", "i.e.", "al.", "vs.", "cf.", "etc.", "fig.", "figs.", "eq.", "eqs.", "sec.",
        "no.", "nos.", "approx.", "resp.", "ref.", "refs.", "tab.", "dr.", "prof.", "mr.",
        "ms.", "st.", "vol.", "pp.", "ca.", "incl.", "w.r.t.", "a.k.a.", "u.s.",
    }
)

# A candidate boundary: terminal punctuation, optional closing quotes or brackets, then
# whitespace before something that can start a sentence; or a period glued to the next
# sentence ("pattern.ECHO shows", common in abstracts); or a CJK full stop, no space needed.
# Each branch starts after the one punctuation character the whole pattern opens with, which
# lets the regex engine jump between stops instead of trying every position (3x faster).
_BOUNDARY = re.compile(
    r"[.!?。！？](?:"
    r"""(?<=[.!?])[.!?]*["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9\u4e00-\u9fff])"""
    r"|(?<=[a-z][a-z]\.)(?=[A-Z][A-Za-z]*[\s,;:])"
    r"|(?<=[。！？])[。！？]*[\"'”’」』)]*\s*"
    r")"
)


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (abstracts carry hard line breaks) into single spaces."""
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations ("e.g.", "et al.", "vs.") and decimals intact."""
    text = normalize_space(text)
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if text[match.start()] == ".":
            word_start = max(start, text.rfind(" ", start, match.start()) + 1)
            word = text[word_start : match.start() + 1]
            if word.lower() in _ABBREVIATIONS:
                continue
        sentence = text[start : match.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


_MAGNITUDES = {
    "k": "k", "thousand": "k",
    "m": "M", "million": "M",
    "b": "B", "billion": "B",
    "t": "T", "trillion": "T",
}

# One number and its optional unit. The lookbehinds keep "1.2.3" and "1,2" from yielding
# stray numbers; letters before a number are allowed ("Qwen2.5" holds 2.5).
_NUMBER = re.compile(
    r"""
    (?<!\d)(?<!\d\.)(?<!\d,)
    (?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)
    (?:\.(?P<frac>\d+))?
    (?:
        (?P<percent>\s?(?:%|％|\\%)|\spercent\b)
      | (?P<times>\s?(?:[x×✕X]|\$?\\times\$?)(?![A-Za-z])|\s?-?fold\b|\s*times\b|\s?倍)
      | (?P<mag>[kKmMbBtT](?![A-Za-z])|\s(?:thousand|million|billion|trillion)\b)
    )?
    """,
    re.VERBOSE,
)


def _normalize(match: re.Match[str]) -> str:
    integer = match.group("int").replace(",", "").lstrip("0") or "0"
    fraction = (match.group("frac") or "").rstrip("0")
    value = f"{integer}.{fraction}" if fraction else integer
    if match.group("percent"):
        return value + "%"
    if match.group("times"):
        return value + "x"
    if match.group("mag"):
        return value + _MAGNITUDES[match.group("mag").strip().lower()]
    return value


@lru_cache(maxsize=512)
def _numbers(text: str) -> frozenset[str]:
    # Whitespace first: "95 %" and "95\n  %" must read the same.
    return frozenset(_normalize(match) for match in _NUMBER.finditer(normalize_space(text)))


def extract_numbers(text: str) -> set[str]:
    """Every number in `text`, normalised: `16.2×` -> "16.2x", `95 %` -> "95%", `7K` -> "7k"."""
    return set(_numbers(text))


def _bare(number: str) -> str:
    return number.rstrip("%xkMBT")


def numbers_supported(claim: str, source: str) -> bool:
    """True when every number in `claim` occurs in `source`.

    A number with a unit must match with that unit; a bare number in the claim also
    matches the same value carrying a unit in the source (a trimmed "95 %" reads "95").
    """
    return not unsupported_numbers(claim, source)


def unsupported_numbers(claim: str, source: str) -> set[str]:
    """The numbers of `claim` that do not occur in `source` (see `numbers_supported`)."""
    missing = _numbers(claim) - _numbers(source)
    if not missing:
        return set()
    bare_found = {_bare(number) for number in _numbers(source)}
    return {number for number in missing if not (number == _bare(number) and number in bare_found)}


def number_spans(text: str) -> list[tuple[str, int, int]]:
    """Every number in `text` (already one line) with where it stands: (normalised, start, end)."""
    return [(_normalize(match), match.start(), match.end()) for match in _NUMBER.finditer(text)]


def bare_number(number: str) -> str:
    """A normalised number without its unit: "95%" -> "95", "16.2x" -> "16.2"."""
    return _bare(number)
