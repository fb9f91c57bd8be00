"""Choosing a day's picks: score, rank, cap per topic, and a recorded reason for the rest.

Curation runs once per list day and is shared by every language and chat, so it must be
deterministic: the same papers and taxonomy always give the same picks in the same order.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from paperwire.bot.curation.classify import Classification, classify
from paperwire.bot.curation.paper_type import PaperType, detect_type
from paperwire.bot.curation.relevance import Relevance, RelevanceModel, build_features, shipped_relevance
from paperwire.bot.curation.taxonomy import Family, Taxonomy
from paperwire.bot.models import Curation, Exclusion, ExclusionKind, LocalizedText, Paper, Pick
from paperwire.bot.similar.lsa import TextModel, shipped_model

logger = logging.getLogger(__name__)

# The relevance model decides; everything below only orders what it let through.
# A paper is worth a pick when the model gives it at least PICK_THRESHOLD (the editor's
# pick probability); ⭐⭐⭐ needs MUST_THRESHOLD on the must-read head as well.
PICK_THRESHOLD = 0.55
MUST_THRESHOLD = 0.75
# Scores are shown on a 0-10 scale: 10 x the pick probability, plus popularity.
QUALITY_POINTS = 10.0
# Upvotes only order papers of near-equal quality: 100 upvotes earn POPULARITY_POINTS (log
# scale, capped), so halving or scaling every count by 1.5 moves a score by at most 0.1
# and can swap only papers whose quality is that close.
UPVOTES_REFERENCE = 100
POPULARITY_POINTS = 0.15
POPULARITY_CAP = 0.25
CODE_BONUS = 0.05
# A family's keywords that outscore every topic leave the paper out (the user's explainable
# override), unless the model is this sure the paper belongs to a topic anyway.
FAMILY_OVERRIDE = 0.9
# The type the labels taught (a narrow application, a model report in other words) leaves a
# paper out when the model is this sure of it and the rules found no type.
KIND_GATE = 0.6

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
    paper_type: PaperType
    relevance: Relevance
    topics: list[str]
    score: float

    @property
    def order(self) -> tuple[float, float, int, str]:
        return (-self.score, -self.relevance.pick, -self.paper.upvotes, self.paper.arxiv_id)


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
    model: RelevanceModel | None = None,
    text_model: TextModel | None = None,
) -> Curation:
    """Pick up to `max_papers` papers of `list_day` worth a pick; every other paper gets a reason.

    `picked_before` holds arXiv ids picked by digests of earlier list days. `model` and
    `text_model` default to the shipped ones (bench/ passes models trained without the day).
    `adjust_scores` may move the scores of eligible papers (an LLM judge's advice); a paper
    it pushes below the bar is not picked and `advice` says why. Paper types and families
    stay with the rules whatever the advice says. `now` is kept for callers; recency no
    longer scores.
    """
    del now
    model = model or shipped_relevance()
    text_model = text_model or shipped_model()
    exclusions: list[Exclusion] = []
    eligible: list[_Scored] = []
    seen: set[str] = set()
    for scored in _score_day(papers, taxonomy, model, text_model):
        exclusion = _excluded_before_ranking(scored, taxonomy, picked_before, seen)
        seen.add(scored.paper.arxiv_id)
        if exclusion is not None:
            exclusions.append(exclusion)
        else:
            eligible.append(scored)

    bar = QUALITY_POINTS * PICK_THRESHOLD
    if adjust_scores is not None and eligible:
        adjusted = adjust_scores({scored.paper.arxiv_id: scored.score for scored in eligible})
        for scored in eligible:
            scored.score = round(adjusted.get(scored.paper.arxiv_id, scored.score), 2)
    judged_out = [s for s in eligible if s.score < bar]
    for scored in judged_out:
        note = (advice or {}).get(scored.paper.arxiv_id) or dict(_JUDGED_OUT)
        reason = {lang: note.get(lang) or note.get("en", "") for lang in ("en", "zh")}
        exclusions.append(_exclusion(scored, "below_cut", reason, topic=scored.topics[0]))
    eligible = [s for s in eligible if s.score >= bar]
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


def _score_day(
    papers: list[Paper], taxonomy: Taxonomy, model: RelevanceModel, text_model: TextModel
) -> list[_Scored]:
    """Keywords, type and the model for every paper of the day, in one batch."""
    if not papers:
        return []
    classifications = [classify(paper, taxonomy) for paper in papers]
    types = [detect_type(paper) for paper in papers]
    relevances = model.predict(build_features(papers, classifications, types, text_model))
    scored = []
    for paper, classification, paper_type, relevance in zip(papers, classifications, types, relevances, strict=True):
        scored.append(
            _Scored(
                paper=paper,
                classification=classification,
                paper_type=paper_type,
                relevance=relevance,
                topics=_topics(relevance, classification, taxonomy),
                score=score_paper(paper, relevance.pick),
            )
        )
    return scored


def _topics(relevance: Relevance, classification: Classification, taxonomy: Taxonomy) -> list[str]:
    """The paper's topics, best first: the model's reading, nudged by the taxonomy's keywords.

    A user's own topic (one the model never saw) is found by its keywords alone.
    """
    known = set(taxonomy.topic_ids)
    blended: dict[str, float] = {}
    for topic_id in taxonomy.topic_ids:
        keyword = min(classification.topic_scores.get(topic_id, 0.0), 9.0) / 9.0
        blended[topic_id] = relevance.topic_probabilities.get(topic_id, 0.0) + 0.35 * keyword
    ranked = sorted((t for t in blended if t in known), key=lambda t: (-blended[t], taxonomy.topic_ids.index(t)))
    return [t for t in ranked if blended[t] >= 0.15] or ranked[:1]


def score_paper(paper: Paper, pick_probability: float) -> float:
    """Quality (the model's pick probability) first; popularity and code only order near ties."""
    quality = QUALITY_POINTS * pick_probability
    popularity = POPULARITY_POINTS * math.log1p(max(paper.upvotes, 0)) / math.log1p(UPVOTES_REFERENCE)
    extras = CODE_BONUS if paper.github_repo else 0.0
    return round(quality + min(POPULARITY_CAP, popularity) + extras, 2)


def _excluded_before_ranking(
    scored: _Scored, taxonomy: Taxonomy, picked_before: set[str] | frozenset[str], seen: set[str]
) -> Exclusion | None:
    """Exclusions that do not depend on the other papers: repeats, types, families, off-topic."""
    paper, classification, relevance = scored.paper, scored.classification, scored.relevance
    topic = scored.topics[0] if scored.topics else None
    if paper.arxiv_id in seen:
        logger.warning("paper %s is listed twice on one day; keeping the first", paper.arxiv_id)
        return _exclusion(scored, "picked_before", dict(_LISTED_TWICE), topic=topic)
    if paper.arxiv_id in picked_before:
        return _exclusion(scored, "picked_before", dict(_PICKED_BEFORE), topic=topic)
    family = _type_family(scored.paper_type, taxonomy) or _learned_type_family(relevance, taxonomy)
    if family is not None:
        on_topic = topic if relevance.pick >= 0.3 or classification.topic is not None else None
        reason = _type_reason(family, taxonomy.topic(on_topic).name if on_topic else None)
        return _exclusion(scored, "paper_type", reason, topic=on_topic, family=family.id)
    if classification.family_wins and relevance.pick < FAMILY_OVERRIDE:
        family = taxonomy.family(classification.family)  # type: ignore[arg-type]
        if family.kind == "paper_type":
            on_topic = topic if relevance.pick >= 0.3 or classification.topic is not None else None
            reason = _type_reason(family, taxonomy.topic(on_topic).name if on_topic else None)
        else:
            reason = _off_topic_family(family, taxonomy.topic(classification.topic).name if classification.topic else None)
        return _exclusion(scored, family.kind, reason, topic=classification.topic, family=family.id)
    if relevance.pick < PICK_THRESHOLD:
        return _exclusion(scored, "no_topic", _off_topic_reason(scored, taxonomy), topic=classification.topic)
    return None


def _type_family(paper_type: PaperType, taxonomy: Taxonomy) -> Family | None:
    """The taxonomy family that excludes this type; None for a method or a type the user allows."""
    if paper_type.is_method:
        return None
    try:
        return taxonomy.family(paper_type.id)
    except KeyError:
        return None


def _learned_type_family(relevance: Relevance, taxonomy: Taxonomy) -> Family | None:
    kind, probability = relevance.likely_kind()
    if kind in ("method", "other") or probability < KIND_GATE:
        return None
    try:
        return taxonomy.family(kind)
    except KeyError:
        return None


def _rank(
    eligible: list[_Scored], taxonomy: Taxonomy, max_papers: int, per_topic_cap: int
) -> tuple[list[Pick], list[Exclusion]]:
    """Walk the papers best first: pick until full, respecting the per-topic cap."""
    picks: list[Pick] = []
    misses: list[tuple[_Scored, str, int]] = []  # (paper, "topic_cap" | "below_cut", its rank)
    per_topic: Counter[str] = Counter()
    ordered = sorted(eligible, key=lambda s: s.order)
    for position, scored in enumerate(ordered, start=1):
        if len(picks) >= max_papers:
            misses.append((scored, "below_cut", position))
            continue
        topic = next((t for t in scored.topics if per_topic[t] < per_topic_cap), None)
        if topic is None:
            misses.append((scored, "topic_cap", position))
            continue
        per_topic[topic] += 1
        stars = 3 if scored.relevance.must >= MUST_THRESHOLD else 2
        picks.append(Pick(scored.paper, topic=topic, score=scored.score, stars=stars, rank=len(picks) + 1))
    # The must-reads lead the digest; within each level the stronger paper comes first.
    picks.sort(key=lambda pick: (-pick.stars, pick.rank))
    picks = [replace(pick, rank=number) for number, pick in enumerate(picks, start=1)]
    exclusions = []
    total = len(ordered)
    for scored, kind, position in misses:
        topic = scored.topics[0]
        if kind == "topic_cap":
            reason = _topic_cap_reason(taxonomy.topic(topic).name, per_topic_cap, position, total)
        else:
            reason = _below_cut_reason(position, total)
        exclusions.append(_exclusion(scored, kind, reason, topic=topic))  # type: ignore[arg-type]
    return picks, exclusions


def _candidates(eligible: list[_Scored], picks: list[Pick]) -> list[Pick]:
    """Topic papers left out by the cap or the cut, best first, for chats with fewer topics."""
    picked = {pick.paper.arxiv_id for pick in picks}
    rest = sorted((s for s in eligible if s.paper.arxiv_id not in picked), key=lambda s: s.order)
    return [
        Pick(s.paper, topic=s.topics[0], score=s.score, stars=2, rank=len(picks) + number)
        for number, s in enumerate(rest, start=1)
    ]


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


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _type_reason(family: Family, topic_name: LocalizedText | None) -> LocalizedText:
    """"a benchmark or dataset, not a new method (Efficient LLM)": the type, then the topic."""
    if topic_name is None:
        return dict(family.reason)
    return {
        "en": f"{family.reason['en']} ({topic_name['en']})",
        "zh": f"{family.reason.get('zh', family.reason['en'])}（{topic_name.get('zh', topic_name['en'])}）",
    }


def _off_topic_family(family: Family, topic_name: LocalizedText | None) -> LocalizedText:
    """"off the focus topics: image/video generation", and the topic it brushed against."""
    reason = {
        "en": f"off the focus topics: {family.name['en'].lower()}",
        "zh": f"偏离关注方向：{family.name.get('zh', family.name['en'])}",
    }
    if topic_name is not None:
        reason["en"] += f" (its words also touch {topic_name['en']})"
        reason["zh"] += f"（也涉及{topic_name.get('zh', topic_name['en'])}的关键词）"
    return reason


def _off_topic_reason(scored: _Scored, taxonomy: Taxonomy) -> LocalizedText:
    """Why the model left a paper out, naming the nearest topic and any keyword that misled."""
    classification, relevance = scored.classification, scored.relevance
    if classification.topic is not None and relevance.pick < 0.3:
        name = taxonomy.topic(classification.topic).name
        words = ", ".join(f'"{w}"' for w in classification.matched.get(classification.topic, [])[:2])
        return {
            "en": f"off the focus topics: {words} matched {name['en']}, but the paper is about something else",
            "zh": f"偏离关注方向：关键词 {words} 匹配了{name.get('zh', name['en'])}，但论文讨论的是其他问题",
        }
    if relevance.pick >= 0.3 and scored.topics:
        name = taxonomy.topic(scored.topics[0]).name
        return {
            "en": f"close to {name['en']}, but not a clear enough new method there to pick",
            "zh": f"接近{name.get('zh', name['en'])}方向，但新方法不够清晰，未入选",
        }
    return {"en": "off the focus topics: no focus topic fits", "zh": "偏离关注方向：不属于任何关注方向"}


def _topic_cap_reason(topic_name: LocalizedText, cap: int, position: int, total: int) -> LocalizedText:
    return {
        "en": f"on topic, but {topic_name['en']} already has {cap} picks: ranked {_ordinal(position)} of {total} candidates",
        "zh": f"方向相关，但{topic_name.get('zh', topic_name['en'])}已入选 {cap} 篇：在 {total} 篇候选中排第 {position}",
    }


def _below_cut_reason(position: int, total: int) -> LocalizedText:
    return {
        "en": f"on topic, but the picks were stronger: ranked {_ordinal(position)} of {total} candidates",
        "zh": f"方向相关，但入选论文更强：在 {total} 篇候选中排第 {position}",
    }


_JUDGED_OUT: LocalizedText = {
    "en": "on topic, but judged weaker than the bar for a pick",
    "zh": "方向相关，但评审认为未达入选标准",
}
_PICKED_BEFORE: LocalizedText = {"en": "picked in an earlier digest", "zh": "已在之前的日报中入选"}
_LISTED_TWICE: LocalizedText = {
    "en": "listed twice on this day; counted once",
    "zh": "当日列表中重复出现，只计一次",
}
