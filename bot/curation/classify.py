"""Keyword classification of a paper against the taxonomy's topics and families.

Matching is plain and explainable on purpose: every score comes from keywords a reader can
see in the title, the abstract or HF's `ai_keywords`, and `matched` keeps them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Paper

# Where a keyword is found says how much it means: a title is what the paper is about.
TITLE_WEIGHT = 3.0
KEYWORDS_WEIGHT = 2.0
ABSTRACT_WEIGHT = 1.0
# A `title_keywords` hit: a title that names its paper's type ("XBench", "Technical Report")
# says what the paper is, so it outweighs all but the strongest topic matches.
TITLE_ONLY_WEIGHT = 8.0
# Each further distinct keyword in one field counts this much less than the one before.
DECAY = 0.6
# A keyword repeated within one field adds a little, at most twice.
REPEAT_BONUS = 0.25
# Negative keywords subtract this share of their own (positively computed) score.
NEGATIVE_SHARE = 0.5
# A topic needs this much to count: a title hit, an ai_keyword, or several abstract keywords.
TOPIC_THRESHOLD = 2.0
# A family needs as much to be named as the reason a paper was left out: one stray word
# ("governance" in a skills paper) must not call it a policy report.
FAMILY_THRESHOLD = 2.0

# Words are runs of ASCII letters and digits; hyphens, spaces and punctuation between them
# are ignored, so "KV-cache", "KV cache" and "kvcache" are one key. A keyword with other
# characters (Chinese is written without spaces) is matched as a plain substring instead.
_WORD = re.compile(r"[0-9a-z]+")

_POSITIVE, _TITLE_ONLY, _NEGATIVE = 0, 1, 2
_Ref = tuple[int, int, int]  # (entry index, role, keyword index within that role)


@dataclass(slots=True)
class Classification:
    """Scores per topic and family, the best of each, and the keywords behind them."""

    topic_scores: dict[str, float]
    family_scores: dict[str, float]
    topic: str | None
    family: str | None
    matched: dict[str, list[str]] = field(default_factory=dict)

    @property
    def topic_score(self) -> float:
        return self.topic_scores.get(self.topic, 0.0) if self.topic else 0.0

    @property
    def family_score(self) -> float:
        return self.family_scores.get(self.family, 0.0) if self.family else 0.0

    @property
    def family_wins(self) -> bool:
        """The family match is stronger than the best topic match: the paper is left out."""
        return self.family is not None and self.family_score > self.topic_score

    def passing_topics(self) -> list[str]:
        """Topic ids that pass the threshold, best first (ties keep taxonomy order)."""
        ranked = sorted(self.topic_scores.items(), key=lambda item: -item[1])
        return [topic_id for topic_id, score in ranked if score >= TOPIC_THRESHOLD]


def classify(paper: Paper, taxonomy: Taxonomy) -> Classification:
    """Score `paper` against every topic and family of `taxonomy`."""
    index = _index_for(taxonomy)
    title, keywords, abstract = _fields(paper)
    found: list[tuple[float, dict[_Ref, int]]] = [
        (TITLE_WEIGHT, index.scan(title, title=True)),
        (KEYWORDS_WEIGHT, index.scan(keywords)),
        (ABSTRACT_WEIGHT, index.scan(abstract)),
    ]
    scores, matched = index.score(found)
    topic_count = len(taxonomy.topics)
    topic_scores = dict(zip(index.ids[:topic_count], scores[:topic_count], strict=True))
    family_scores = dict(zip(index.ids[topic_count:], scores[topic_count:], strict=True))
    return Classification(
        topic_scores=topic_scores,
        family_scores=family_scores,
        topic=_best(topic_scores, TOPIC_THRESHOLD),
        family=_best(family_scores, FAMILY_THRESHOLD),
        matched=matched,
    )


def topics_for(paper: Paper, taxonomy: Taxonomy) -> list[str]:
    """Topic ids a paper belongs to, best first; none when an exclusion family wins.

    Stored on every paper, so trends and topic queries over history agree with curation.
    """
    return topics_of(classify(paper, taxonomy))


def topics_of(classification: Classification) -> list[str]:
    """The topics of an existing classification, as `topics_for` defines them."""
    floor = classification.family_score
    return [
        topic_id
        for topic_id in classification.passing_topics()
        if classification.topic_scores[topic_id] >= floor
    ]


def _best(scores: dict[str, float], threshold: float) -> str | None:
    best_id, best_score = None, 0.0
    for entry_id, score in scores.items():  # taxonomy order breaks ties
        if score > best_score:
            best_id, best_score = entry_id, score
    return best_id if best_score >= threshold else None


def _fields(paper: Paper) -> tuple[str, str, str]:
    """Normalized title, ai_keywords and abstract (with HF's summary, which restates it)."""
    abstract = paper.abstract or ""
    if paper.ai_summary:
        abstract = f"{abstract}\n{paper.ai_summary}"
    keywords = " ; ".join(word for word in paper.ai_keywords if isinstance(word, str))
    return _normalize(paper.title or ""), _normalize(keywords), _normalize(abstract)


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class _KeywordIndex:
    """Every keyword of a taxonomy in one lookup table, so a text is scanned once.

    A keyword's key is its words joined without separators; its plural forms ("s", "es")
    are keys too. Multi-word keys are found by extending a match word by word while the
    text so far is a prefix of some key.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        entries = [*taxonomy.topics, *taxonomy.families]
        self.ids = tuple(entry.id for entry in entries)
        self.words: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
            (entry.keywords, entry.title_keywords, entry.negative) for entry in entries
        ]
        exact: dict[str, list[_Ref]] = {}
        plural: dict[str, list[_Ref]] = {}
        self.prefixes: set[str] = set()
        self.starts: list[tuple[str, _Ref]] = []  # "agricultur*"
        self.ends: list[tuple[str, _Ref]] = []  # "*bench"
        self.unspaced: list[tuple[str, _Ref]] = []
        for position, roles in enumerate(self.words):
            for role, keywords in enumerate(roles):
                for number, keyword in enumerate(keywords):
                    self._add(keyword, (position, role, number), exact, plural)
        for key, refs in plural.items():
            exact.setdefault(key, refs)  # a keyword spelled like another's plural wins
        self.exact = {key: tuple(refs) for key, refs in exact.items()}
        # Words that can begin a match: whole one-word keys and first words of longer ones.
        self.starters = frozenset(self.exact) | self.prefixes

    def _add(
        self,
        keyword: str,
        ref: _Ref,
        exact: dict[str, list[_Ref]],
        plural: dict[str, list[_Ref]],
    ) -> None:
        text = _normalize(keyword)
        if not text.isascii():
            self.unspaced.append((text.strip("*"), ref))
            return
        tokens = _WORD.findall(text)
        if not tokens:
            return
        key = "".join(tokens)
        if text.startswith("*"):
            self.ends.append((key, ref))
        elif text.endswith("*"):
            self.starts.append((key, ref))
        else:
            exact.setdefault(key, []).append(ref)
            if key[-1].isalpha():
                plural.setdefault(key + "s", []).append(ref)
                plural.setdefault(key + "es", []).append(ref)
            for end in range(1, len(tokens)):
                self.prefixes.add("".join(tokens[:end]))

    def scan(self, text: str, *, title: bool = False) -> dict[_Ref, int]:
        """How often each keyword occurs in `text`; title-only keywords count only in a title."""
        counts: dict[_Ref, int] = {}
        if not text:
            return counts
        tokens = _WORD.findall(text)
        unique = set(tokens)
        starters = unique & self.starters
        if starters:
            exact, prefixes = self.exact, self.prefixes
            last = len(tokens) - 1
            # An entry's longest keyword at a position wins, and the words it covers start
            # no other match of that entry: "coding agents" counts once, not also as "agent".
            covered: dict[tuple[int, int], int] = {}  # (entry, role) -> last word covered
            for start in [position for position, token in enumerate(tokens) if token in starters]:
                longest: dict[tuple[int, int], tuple[_Ref, int]] = {}
                key, end = tokens[start], start
                while True:
                    for ref in exact.get(key, ()):
                        longest[ref[0], ref[1]] = (ref, end)
                    if end == last or key not in prefixes:
                        break
                    end += 1
                    key += tokens[end]
                for slot, (ref, match_end) in longest.items():
                    if covered.get(slot, -1) < start:
                        covered[slot] = match_end
                        _count(counts, (ref,), title)
        # Wildcards: a substring test in C first, since most texts hold none of them.
        ends = [(end, ref) for end, ref in self.ends if _counts_here(ref, title) and end in text]
        starts = [(st, ref) for st, ref in self.starts if _counts_here(ref, title) and st in text]
        if ends or starts:
            for token in unique:
                refs = [ref for suffix, ref in ends if token.endswith(suffix)]
                refs += [ref for prefix, ref in starts if token.startswith(prefix)]
                if refs:
                    _count(counts, refs * tokens.count(token), title)
        for needle, ref in self.unspaced:
            occurrences = text.count(needle)
            if occurrences:
                _count(counts, (ref,) * occurrences, title)
        return counts

    def score(
        self, found: list[tuple[float, dict[_Ref, int]]]
    ) -> tuple[list[float], dict[str, list[str]]]:
        """Per entry: weighted positive score less a share of the negative one."""
        totals = [[0.0, 0.0, 0.0] for _ in self.ids]  # by role
        hits: dict[int, list[str]] = {}
        for weight, counts in found:
            by_role: dict[tuple[int, int], list[int]] = {}
            for (position, role, number), count in counts.items():
                by_role.setdefault((position, role), []).append(count)
                if role != _NEGATIVE:
                    keyword = self.words[position][role][number]
                    matched = hits.setdefault(position, [])
                    if keyword not in matched:
                        matched.append(keyword)
            for (position, role), repeats in by_role.items():
                field_weight = TITLE_ONLY_WEIGHT if role == _TITLE_ONLY else weight
                totals[position][role] += field_weight * _diminishing(repeats)
        scores = []
        for position, (positive, title_only, negative) in enumerate(totals):
            if position not in hits:
                scores.append(0.0)
                continue
            value = positive + title_only - NEGATIVE_SHARE * negative
            scores.append(round(max(0.0, value), 3))
        return scores, {self.ids[position]: words for position, words in sorted(hits.items())}


def _count(counts: dict[_Ref, int], refs: Iterable[_Ref], title: bool) -> None:
    for ref in refs:
        if _counts_here(ref, title):
            counts[ref] = counts.get(ref, 0) + 1


def _counts_here(ref: _Ref, title: bool) -> bool:
    return title or ref[1] != _TITLE_ONLY


def _diminishing(repeats: list[int]) -> float:
    """Distinct keywords add less and less; repeats of one keyword add a little."""
    values = sorted((1.0 + REPEAT_BONUS * min(count - 1, 2) for count in repeats), reverse=True)
    return sum(value * DECAY**rank for rank, value in enumerate(values))


_INDEXES: dict[tuple[object, ...], _KeywordIndex] = {}
_INDEX_CACHE_SIZE = 8


def _index_for(taxonomy: Taxonomy) -> _KeywordIndex:
    # Keyed by content rather than the fingerprint, so a hand-built Taxonomy is safe too.
    key = tuple(
        (entry.id, entry.keywords, entry.title_keywords, entry.negative)
        for entry in (*taxonomy.topics, *taxonomy.families)
    )
    index = _INDEXES.get(key)
    if index is None:
        if len(_INDEXES) >= _INDEX_CACHE_SIZE:
            _INDEXES.clear()
        index = _INDEXES[key] = _KeywordIndex(taxonomy)
    return index
