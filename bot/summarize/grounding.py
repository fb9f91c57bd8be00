"""The grounding check: a generated card may only state numbers and names its source contains.

Every sentence of every card field is checked on its own. A claim is a number (with its
unit) or a named benchmark, dataset or model; a sentence holding a claim the source does not
contain is dropped, and so is one pairing a number with something else than the source
measures with it (bot.summarize.pairs). Regex only, deterministic, cheap enough for every card of every digest.
Number spelling rules (`16.2×` = `16.2x`, `95 %` = `95%`, `1,000` = `1000`) come from
bot.summarize.sentences so the extractive summarizer and this check agree on them.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from paperwire.bot.models import Card
from paperwire.bot.summarize.pairs import NumberUse, PairIndex, number_uses
from paperwire.bot.summarize.sentences import extract_numbers, normalize_space, split_sentences, unsupported_numbers

log = logging.getLogger(__name__)

# A Latin-script token: letters and digits, joined by - _ . + /, optionally ending in "+"
# ("HumanEval+"). CJK characters are outside the class, so "在GSM8K上" yields "GSM8K".
_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-_.+/][A-Za-z0-9]+)*\+*(?![A-Za-z0-9])")
# Capitalised words that continue a name: "SWE-bench Verified", "BIG-Bench Hard".
_NAME_TAIL = re.compile(r"(?: [A-Z][A-Za-z0-9]*){1,2}")
_CAMEL = re.compile(r"[a-z][A-Z]")
_ALLCAPS = re.compile(r"[A-Z]{2,}")
_NUMBER_WITH_UNIT = re.compile(r"\d+(?:\.\d+)?(?:[xX]|[kKMBT])?")
_SEPARATORS = re.compile(r"[-_\s]+")
# Percentage-point claims: sentences.py reads "2.3 pp" as a bare 2.3, which a "2.3%" in
# the source would support; points are a different claim, so they are checked here too.
_POINTS = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s?(?:percentage points?|pp|points?|pts?|个百分点|百分点)(?![A-Za-z])"
)
# "from 45.1 to 52.3%": the first number carries the unit too, as a reader takes it.
_RANGE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s?(?:to|-|–|~|→|至|到)\s?\d+(?:\.\d+)?\s?(%|[x×](?![A-Za-z])|倍)"
)
# An enumerator the model put in front of a list item despite being asked not to.
_ENUMERATOR = re.compile(r"^\s*(?:\(?\d{1,2}[.)、:]|[-*•·])\s+")

# Generic acronyms and words that name no benchmark, dataset or model; a summary may use
# them when the abstract spells them out ("LLM" for "large language model").
GENERIC_TERMS = frozenset(
    {
        "ai", "agi", "llm", "lm", "slm", "vlm", "mllm", "lvlm", "lmm", "vla", "rl", "ml", "nlp",
        "cv", "qa", "vqa", "gpu", "cpu", "tpu", "npu", "api", "sota", "kv", "moe", "cot", "ocr",
        "asr", "tts", "ui", "gui", "url", "pdf", "json", "html", "sql", "io", "2d", "3d", "4d",
        "arxiv", "github", "hugging face", "huggingface", "ood", "id", "e2e", "llms", "vlms",
    }
)
_TAIL_STOPWORDS = frozenset(
    {"The", "And", "Or", "On", "In", "With", "For", "To", "Of", "By", "At", "As", "We", "It", "This", "That", "A", "An"}
)


@dataclass(slots=True)
class SentenceCheck:
    """What one sentence claims and which of those claims the source lacks."""

    sentence: str
    claims: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return not self.unsupported


def normalize_text(text: str) -> str:
    """NFKC folds full-width digits and signs (`９５％`) into the forms the patterns expect."""
    return unicodedata.normalize("NFKC", text)


def strip_enumerator(item: str) -> str:
    """A list item without the "1." or "-" the model put in front of it (formatters number items)."""
    return _ENUMERATOR.sub("", item)


def _name_key(name: str) -> str:
    return _SEPARATORS.sub(" ", name.lower()).strip()


def _is_name(token: str) -> bool:
    if _NUMBER_WITH_UNIT.fullmatch(token):
        return False  # "7B", "128K", "16x" are numbers with a unit, checked as numbers
    has_digit = any(char.isdigit() for char in token)
    has_upper = any(char.isupper() for char in token)
    if not (has_digit and has_upper) and not _CAMEL.search(token) and not _ALLCAPS.search(token):
        return False
    key = _name_key(token)
    return key not in GENERIC_TERMS and key.rstrip("s") not in GENERIC_TERMS


def extract_names(text: str) -> list[tuple[str, int, int]]:
    """Named benchmarks, datasets and models in `text`, as (name, start, end)."""
    names: list[tuple[str, int, int]] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if not _is_name(token):
            continue
        end = match.end()
        tail = _NAME_TAIL.match(text, end)
        if tail:
            words = tail.group().split()
            kept: list[str] = []
            for word in words:
                if word in _TAIL_STOPWORDS or _name_key(word).rstrip("s") in GENERIC_TERMS:
                    break
                kept.append(word)
            if kept:
                token = f"{token} {' '.join(kept)}"
                end += len(" " + " ".join(kept))
        names.append((token, match.start(), end))
    return names


class GroundingSource:
    """The source text prepared once for many lookups: names lowercased, separators unified."""

    def __init__(self, text: str) -> None:
        self.text = normalize_text(text)
        ranges = " ".join(match.group(1) + match.group(2) for match in _RANGE.finditer(self.text))
        self._number_text = f"{self.text}\n{ranges}" if ranges else self.text
        self._names = _name_key(self.text)
        self._points = {_points_value(match) for match in _POINTS.finditer(self.text)}
        self._pairs = PairIndex(self.text, extract_names)

    def has_name(self, name: str) -> bool:
        key = _name_key(name)
        if _has_phrase(self._names, key):
            return True
        # "VLMs" in the summary for "VLM" in the source, and the other way round.
        if key.endswith("s") and _has_phrase(self._names, key[:-1]):
            return True
        return _has_phrase(self._names, key + "s")

    def has_points(self, value: str) -> bool:
        return value in self._points

    def missing_numbers(self, claim: str) -> set[str]:
        return unsupported_numbers(claim, self._number_text)

    def mispaired(self, use: NumberUse) -> bool:
        return self._pairs.mispaired(use)


def _points_value(match: re.Match[str]) -> str:
    value = match.group(1)
    return value.rstrip("0").rstrip(".") if "." in value else value


@lru_cache(maxsize=4096)
def _phrase_pattern(key: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(key) + r"(?![a-z0-9])")


def _has_phrase(haystack: str, key: str) -> bool:
    return bool(key) and _phrase_pattern(key).search(haystack) is not None


def check_sentence(sentence: str, source: GroundingSource) -> SentenceCheck:
    """The claims of one sentence and those the source does not contain."""
    text = normalize_text(sentence)
    result = SentenceCheck(sentence=sentence)
    names = extract_names(text)
    points = [(_points_value(match), match.start(), match.end()) for match in _POINTS.finditer(text)]
    # Numbers inside names ("Llama-3-8B", "GSM8K") and point claims ("2.3 pp") are claims of
    # their own: blank them out before looking for plain numbers.
    remaining = text
    for _, start, end in sorted([*names, *points], key=lambda span: span[1], reverse=True):
        remaining = remaining[:start] + " " * (end - start) + remaining[end:]
    for name in dict.fromkeys(name for name, _, _ in names):
        result.claims.append(name)
        if not source.has_name(name):
            result.unsupported.append(name)
    for value in dict.fromkeys(value for value, _, _ in points):
        result.claims.append(f"{value}pp")
        if not source.has_points(value):
            result.unsupported.append(f"{value}pp")
    numbers = extract_numbers(remaining)
    missing = source.missing_numbers(remaining) if numbers else set()
    for number in sorted(numbers):
        result.claims.append(number)
        if number in missing:
            result.unsupported.append(number)
    # A number the source has, but stated with something else than the claim pairs it with.
    for use in number_uses(normalize_space(text), extract_names(normalize_space(text))):
        if use.number not in missing and use.number in numbers and source.mispaired(use):
            result.unsupported.append(f"{use.number} ({', '.join(sorted(use.beside or use.owns))})")
    return result


def _check_text(text: str, source: GroundingSource, counts: list[int], unsupported: list[str]) -> str:
    kept: list[str] = []
    for sentence in split_sentences(text):
        check = check_sentence(sentence, source)
        counts[0] += len(check.claims)
        if check.supported:
            kept.append(sentence)
        else:
            counts[1] += len(check.unsupported)
            unsupported.extend(check.unsupported)
    return _join_sentences(kept)


def _join_sentences(sentences: list[str]) -> str:
    text = ""
    for sentence in sentences:
        # Chinese sentences follow each other without a space; Latin ones take one.
        needs_space = text and not _ends_cjk(text) and not _starts_cjk(sentence)
        text += (" " if needs_space else "") + sentence
    return text


def _ends_cjk(text: str) -> bool:
    return text[-1] in "。！？；」』）" or "\u4e00" <= text[-1] <= "\u9fff"


def _starts_cjk(text: str) -> bool:
    return "\u4e00" <= text[0] <= "\u9fff"


def check_card(card: Card, source_text: str) -> tuple[Card, int, int]:
    """Drop every sentence of `card` that states what `source_text` does not contain.

    Returns the cleaned card, the number of claims checked and the number of unsupported
    claims found (each of which removed its sentence). The method field is left unchanged.
    """
    source = GroundingSource(source_text)
    counts = [0, 0]
    unsupported: list[str] = []
    update: dict[str, object] = {}
    for name, value in card:
        if isinstance(value, str) and name != "method":
            update[name] = _check_text(value, source, counts, unsupported)
        elif isinstance(value, list):
            items = [_check_text(strip_enumerator(item), source, counts, unsupported) for item in value]
            update[name] = [item for item in items if item]
    if unsupported:
        log.debug("grounding dropped sentences with unsupported claims: %s", ", ".join(unsupported))
    return card.model_copy(update=update), counts[0], counts[1]
