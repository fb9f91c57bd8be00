"""Choosing a day's picks: score, rank, cap per topic, and a recorded reason for the rest.

Curation runs once per list day and is shared by every language and chat, so it must be
deterministic: the same papers and taxonomy always give the same picks in the same order.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from paperwire.bot.curation.classify import Classification, classify, topics_of
from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Curation, Exclusion, ExclusionKind, LocalizedText, Paper, Pick

logger = logging.getLogger(__name__)

# A topic score of MATCH_FULL or more earns the whole MATCH_POINTS.
MATCH_FULL = 9.0
MATCH_POINTS = 3.0
# Upvotes count on a log scale: UPVOTES_REFERENCE upvotes earn UPVOTE_POINTS, capped.
UPVOTES_REFERENCE = 100
UPVOTE_POINTS = 3.0
UPVOTE_CAP = 4.0
CODE_BONUS = 0.6
PROJECT_PAGE_BONUS = 0.3
# Published within FRESH_DAYS of the list day earns the full bonus, within RECENT_DAYS half.
FRESH_DAYS = 3
RECENT_DAYS = 7
RECENCY_BONUS = 0.5
# Three stars ("must read"): the first MUST_READ_RANKS picks scoring at least
# MUST_READ_MIN, and any pick scoring at least STRONG_SCORE.
MUST_READ_RANKS = 2
MUST_READ_MIN = 5.0
STRONG_SCORE = 7.0

# Order of exclusion groups in the recorded list: near misses first.
_GROUP: dict[ExclusionKind, int] = {
    "topic_cap": 0,
    "below_cut": 0,
    "family": 1,
    "paper_type": 1,
    "no_topic": 2,
    "picked_before": 3,
}


@dataclass(slots=True)
class _Scored:
    paper: Paper
    classification: Classification
    topics: list[str]
    score: float

    @property
    def order(self) -> tuple[float, int, str]:
        return (-self.score, -self.paper.upvotes, self.paper.arxiv_id)


def curate(
    list_day: date,
    papers: list[Paper],
    taxonomy: Taxonomy,
    *,
    max_papers: int = 6,
    per_topic_cap: int = 3,
    picked_before: set[str] | frozenset[str] = frozenset(),
    now: datetime | None = None,
    adjust_scores: Callable[[Mapping[str, float]], Mapping[str, float]] | None = None,
    advice: Mapping[str, LocalizedText] | None = None,
) -> Curation:
    """Pick up to `max_papers` papers of `list_day`; every other paper gets a reason.

    `picked_before` holds arXiv ids picked by digests of earlier list days. `now` only
    guards the recency bonus against publication dates in the future (bad data).
    `adjust_scores` may move the rule scores of eligible papers (an LLM judge's advice);
    `advice` is added to the reason of a paper it applies to that ends below the cut.
    Family exclusions stay with the rules whatever the advice says.
    """
    today = (now or datetime.now(UTC)).date()
    exclusions: list[Exclusion] = []
    eligible: list[_Scored] = []
    seen: set[str] = set()
    for paper in papers:
        classification = classify(paper, taxonomy)
        topics = topics_of(classification)
        scored = _Scored(
            paper=paper,
            classification=classification,
            topics=topics,
            score=score_paper(paper, classification.topic_score, list_day, today),
        )
        exclusion = _excluded_before_ranking(scored, taxonomy, picked_before, seen)
        seen.add(paper.arxiv_id)
        if exclusion is not None:
            exclusions.append(exclusion)
        else:
            eligible.append(scored)

    if adjust_scores is not None and eligible:
        adjusted = adjust_scores({scored.paper.arxiv_id: scored.score for scored in eligible})
        for scored in eligible:
            scored.score = round(adjusted.get(scored.paper.arxiv_id, scored.score), 2)
    picks, near_misses = _rank(eligible, taxonomy, max_papers, per_topic_cap)
    for miss in near_misses:
        note = (advice or {}).get(miss.paper.arxiv_id)
        if note:
            miss.reason = {lang: f"{text}; {note.get(lang) or note.get('en', '')}" for lang, text in miss.reason.items()}
    exclusions.extend(near_misses)
    exclusions.sort(key=lambda e: (_GROUP[e.kind], -e.score, -e.paper.upvotes, e.paper.arxiv_id))
    candidates = _candidates(eligible, picks)
    logger.info(
        "curated %s: %d papers, %d picks, %d excluded, %d candidates",
        list_day, len(papers), len(picks), len(exclusions), len(candidates),
    )
    return Curation(list_day=list_day, picks=picks, exclusions=exclusions, candidates=candidates)


def score_paper(
    paper: Paper, topic_score: float, list_day: date, today: date | None = None
) -> float:
    """Topic match + log-scaled upvotes + code/project page + recency, rounded to 0.01."""
    match = MATCH_POINTS * min(topic_score, MATCH_FULL) / MATCH_FULL
    upvotes = math.log1p(max(paper.upvotes, 0)) / math.log1p(UPVOTES_REFERENCE)
    popularity = min(UPVOTE_CAP, UPVOTE_POINTS * upvotes)
    extras = CODE_BONUS if paper.github_repo else 0.0
    extras += PROJECT_PAGE_BONUS if paper.project_page else 0.0
    return round(match + popularity + extras + _recency(paper, list_day, today), 2)


def _recency(paper: Paper, list_day: date, today: date | None) -> float:
    if paper.published_at is None:
        return 0.0
    published = paper.published_at.date()
    if today is not None and published > today:
        return 0.0
    age = (list_day - published).days
    if -1 <= age <= FRESH_DAYS:
        return RECENCY_BONUS
    if 0 <= age <= RECENT_DAYS:
        return RECENCY_BONUS / 2
    return 0.0


def _excluded_before_ranking(
    scored: _Scored, taxonomy: Taxonomy, picked_before: set[str] | frozenset[str], seen: set[str]
) -> Exclusion | None:
    """Exclusions that do not depend on the other papers: repeats, families, no topic."""
    paper, classification = scored.paper, scored.classification
    best_topic = classification.topic
    if paper.arxiv_id in seen:
        logger.warning("paper %s is listed twice on one day; keeping the first", paper.arxiv_id)
        return _exclusion(scored, "picked_before", dict(_LISTED_TWICE), topic=best_topic)
    if paper.arxiv_id in picked_before:
        return _exclusion(scored, "picked_before", dict(_PICKED_BEFORE), topic=best_topic)
    if classification.family is not None and not scored.topics:
        family = taxonomy.family(classification.family)
        reason = dict(family.reason)
        if best_topic is not None:  # a passing topic that the family outscored
            reason = _also_matched(reason, taxonomy.topic(best_topic).name)
        return _exclusion(scored, family.kind, reason, topic=best_topic, family=family.id)
    if not scored.topics:
        return _exclusion(scored, "no_topic", dict(_NO_TOPIC))
    return None


def _rank(
    eligible: list[_Scored], taxonomy: Taxonomy, max_papers: int, per_topic_cap: int
) -> tuple[list[Pick], list[Exclusion]]:
    """Walk the papers best first: pick until full, respecting the per-topic cap."""
    picks: list[Pick] = []
    misses: list[tuple[_Scored, str]] = []  # (paper, "topic_cap" | "below_cut")
    per_topic: Counter[str] = Counter()
    for scored in sorted(eligible, key=lambda s: s.order):
        if len(picks) >= max_papers:
            misses.append((scored, "below_cut"))
            continue
        topic = next((t for t in scored.topics if per_topic[t] < per_topic_cap), None)
        if topic is None:
            misses.append((scored, "topic_cap"))
            continue
        per_topic[topic] += 1
        rank = len(picks) + 1
        stars = _stars(rank, scored.score)
        picks.append(Pick(scored.paper, topic=topic, score=scored.score, stars=stars, rank=rank))
    cut = picks[-1].score if picks else 0.0
    exclusions = []
    for scored, kind in misses:
        topic = scored.topics[0]
        if kind == "topic_cap":
            reason = _topic_cap_reason(taxonomy.topic(topic).name, per_topic_cap, scored.score)
            exclusions.append(_exclusion(scored, "topic_cap", reason, topic=topic))
        else:
            reason = _below_cut_reason(scored.score, cut)
            exclusions.append(_exclusion(scored, "below_cut", reason, topic=topic))
    return picks, exclusions


def _candidates(eligible: list[_Scored], picks: list[Pick]) -> list[Pick]:
    """Topic papers left out by the cap or the cut, best first, for chats with fewer topics."""
    picked = {pick.paper.arxiv_id for pick in picks}
    rest = sorted((s for s in eligible if s.paper.arxiv_id not in picked), key=lambda s: s.order)
    return [
        Pick(s.paper, topic=s.topics[0], score=s.score, stars=2, rank=len(picks) + number)
        for number, s in enumerate(rest, start=1)
    ]


def _stars(rank: int, score: float) -> int:
    if score >= STRONG_SCORE or (rank <= MUST_READ_RANKS and score >= MUST_READ_MIN):
        return 3
    return 2


def _exclusion(
    scored: _Scored,
    kind: ExclusionKind,
    reason: LocalizedText,
    *,
    topic: str | None = None,
    family: str | None = None,
) -> Exclusion:
    return Exclusion(
        paper=scored.paper, kind=kind, reason=reason, score=scored.score, topic=topic, family=family
    )


def _also_matched(reason: LocalizedText, topic_name: LocalizedText) -> LocalizedText:
    """A family's reason that also records the topic the paper matched less strongly."""
    suffix = {"en": " (also matched {})", "zh": "（也匹配{}）"}
    return {
        language: text
        + suffix.get(language, suffix["en"]).format(topic_name.get(language, topic_name["en"]))
        for language, text in reason.items()
    }


def _topic_cap_reason(topic_name: LocalizedText, cap: int, score: float) -> LocalizedText:
    return {
        "en": f"over the topic cap: {topic_name['en']} already has {cap} picks (score {score:.1f})",
        "zh": f"超出方向上限：{topic_name['zh']} 已入选 {cap} 篇（得分 {score:.1f}）",
    }


def _below_cut_reason(score: float, cut: float) -> LocalizedText:
    shown, cut_shown = f"{score:.1f}", f"{cut:.1f}"
    if shown == cut_shown:  # a near tie: one more decimal, so the cut is visible
        shown, cut_shown = f"{score:.2f}", f"{cut:.2f}"
    return {
        "en": f"below the cut: score {shown} against {cut_shown}",
        "zh": f"低于入选线：得分 {shown}，入选线 {cut_shown}",
    }


_NO_TOPIC: LocalizedText = {"en": "no configured topic matched", "zh": "未匹配任何关注方向"}
_PICKED_BEFORE: LocalizedText = {"en": "picked in an earlier digest", "zh": "已在之前的日报中入选"}
_LISTED_TWICE: LocalizedText = {
    "en": "listed twice on this day; counted once",
    "zh": "当日列表中重复出现，只计一次",
}
