"""Each chat's taste: what its 👍 and 👎 taught, and how it re-ranks that chat's picks.

The model is a per-chat linear one over the same features everything else uses: the
paper's text vector (bot/similar) and its topic. With votes v_i on papers x_i it is the
centroid sum(v_i x_i) / sum(|v_i|) (Rocchio); a paper's taste score is its cosine with
that centroid, trusted more as votes accumulate. It is blended with the global score; a
chat without votes gets the global picks unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from paperwire.bot.models import Curation, Exclusion, Paper, Pick
from paperwire.bot.similar.lsa import TextModel

# How far a topic counts against the text: a vote on a VLA paper says "more VLA" clearly.
TOPIC_WEIGHT = 1.0
# Votes at which the taste is fully trusted; before that it moves scores less.
FULL_CONFIDENCE_VOTES = 6
# How much taste (in [-1, 1]) can move a paper on the global scale (picks span [0, 1]).
TASTE_WEIGHT = 1.2
UNASKED_TOPIC_PENALTY = 0.5
# Taste below -DISLIKED keeps a paper out of the chat's picks whatever its global score.
DISLIKED = 0.15
RANKED_DOWN = {"en": "ranked down by this chat's votes", "zh": "因本会话的投票而排后"}


@dataclass(slots=True)
class Taste:
    """What a chat's votes taught; `votes` is 0 for a chat that never voted."""

    votes: int = 0
    vector: np.ndarray | None = None
    topics: dict[str, float] = field(default_factory=dict)  # net vote share per topic
    liked_terms: list[str] = field(default_factory=list)
    disliked_terms: list[str] = field(default_factory=list)
    disliked_ids: frozenset[str] = frozenset()  # papers it voted 👎: never shown to it again

    @property
    def confidence(self) -> float:
        return min(1.0, self.votes / FULL_CONFIDENCE_VOTES)


def features(papers: list[Paper], model: TextModel, topic_ids: tuple[str, ...]) -> np.ndarray:
    """Rows of [text vector | topic one-hot x TOPIC_WEIGHT], each of unit length."""
    text = model.embed_papers(papers)
    topics = np.zeros((len(papers), len(topic_ids)), dtype=np.float32)
    for row, paper in enumerate(papers):
        for column, topic in enumerate(topic_ids):
            if paper.topics and paper.topics[0] == topic:
                topics[row, column] = TOPIC_WEIGHT
    matrix = np.hstack([text, topics])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def learn_taste(voted: list[tuple[Paper, int]], model: TextModel, topic_ids: tuple[str, ...]) -> Taste:
    """The taste of a chat from (paper, net vote) pairs."""
    voted = [(paper, value) for paper, value in voted if value]
    if not voted:
        return Taste()
    matrix = features([paper for paper, _ in voted], model, topic_ids)
    weights = np.array([float(np.sign(value)) for _, value in voted], dtype=np.float32)
    centroid = (weights[:, None] * matrix).sum(axis=0) / len(voted)
    norm = float(np.linalg.norm(centroid))
    topics: dict[str, float] = {}
    for paper, value in voted:
        if paper.topics:
            topics[paper.topics[0]] = topics.get(paper.topics[0], 0.0) + float(np.sign(value))
    liked, disliked = _strongest_terms(centroid[: model.components.shape[1]], model)
    return Taste(
        votes=len(voted),
        vector=centroid / norm if norm > 0 else None,
        topics={topic: total / len(voted) for topic, total in topics.items()},
        liked_terms=liked,
        disliked_terms=disliked,
        disliked_ids=frozenset(paper.arxiv_id for paper, value in voted if value < 0),
    )


def taste_scores(taste: Taste, papers: list[Paper], model: TextModel, topic_ids: tuple[str, ...]) -> np.ndarray:
    """Per paper, how much the chat's taste moves it, in [-TASTE_WEIGHT, TASTE_WEIGHT]."""
    if taste.vector is None or not papers:
        return np.zeros(len(papers), dtype=np.float32)
    cosine = features(papers, model, topic_ids) @ taste.vector
    # A chat that liked some topics and never liked this paper's one: a topic it has not
    # asked for (the text alone would lift a robotics world model for a VLA fan).
    liked = {topic for topic, share in taste.topics.items() if share > 0}
    unasked = np.array(
        [bool(liked) and (not paper.topics or paper.topics[0] not in liked) for paper in papers], dtype=np.float32
    )
    scores = np.clip(cosine * 4.0, -1.0, 1.0) - UNASKED_TOPIC_PENALTY * unasked
    return TASTE_WEIGHT * taste.confidence * np.clip(scores, -1.0, 1.0)


def rerank_for_chat(
    curation: Curation,
    taste: Taste,
    model: TextModel,
    topic_ids: tuple[str, ...],
    *,
    max_papers: int,
    per_topic_cap: int,
    only_topics: tuple[str, ...] = (),
) -> tuple[list[Pick], list[Exclusion]]:
    """The chat's picks and the global picks its votes ranked down.

    The pool is the day's picks and on-topic candidates (never a paper excluded for its
    type or family); the bar is the weakest global pick, so without votes the picks are
    exactly the global ones, and with votes a liked kind of paper may rise over the bar
    while a disliked one falls below it.
    """
    wanted = set(only_topics)
    pool = [pick for pick in [*curation.picks, *curation.candidates] if not wanted or pick.topic in wanted]
    picked = {pick.paper.arxiv_id for pick in curation.picks}
    if taste.vector is None or not pool:
        chosen = [pick for pick in pool if pick.paper.arxiv_id in picked]
        return chosen, []
    scores = np.array([pick.score for pick in pool], dtype=np.float64)
    low, high = float(scores.min()), float(scores.max())
    scaled = (scores - low) / (high - low) if high > low else np.ones_like(scores)
    bar_values = [scaled[i] for i, pick in enumerate(pool) if pick.paper.arxiv_id in picked]
    bar = min(bar_values) if bar_values else 1.0
    # The topic a paper was picked in is the one the chat saw and voted on.
    shown = [replace(pick.paper, topics=[pick.topic, *(t for t in pick.paper.topics if t != pick.topic)]) for pick in pool]
    moved = taste_scores(taste, shown, model, topic_ids)
    likes_something = any(share > 0 for share in taste.topics.values())
    if not likes_something:
        # Only 👎 so far: the centroid points away from every AI paper a little, so judge each
        # paper against the day's typical one, which moves only the disliked kind down.
        moved = moved - float(np.median(moved))
    blended = scaled + moved
    order = sorted(range(len(pool)), key=lambda i: (-blended[i], pool[i].rank))
    chosen: list[Pick] = []
    per_topic: dict[str, int] = {}
    for i in order:
        pick = pool[i]
        # A paper the votes push down (a disliked kind) is not shown however strong it is.
        disliked = moved[i] < -DISLIKED or pick.paper.arxiv_id in taste.disliked_ids
        if disliked or blended[i] < bar or len(chosen) >= max_papers or per_topic.get(pick.topic, 0) >= per_topic_cap:
            continue
        per_topic[pick.topic] = per_topic.get(pick.topic, 0) + 1
        chosen.append(pick)
    chosen_ids = {pick.paper.arxiv_id for pick in chosen}
    ranked_down = [
        Exclusion(paper=pick.paper, kind="taste", reason=dict(RANKED_DOWN), score=pick.score, topic=pick.topic)
        for pick in curation.picks
        if pick.paper.arxiv_id not in chosen_ids and (not wanted or pick.topic in wanted)
    ]
    return chosen, ranked_down


def _strongest_terms(text_centroid: np.ndarray, model: TextModel, count: int = 6) -> tuple[list[str], list[str]]:
    """The vocabulary terms the taste points towards and away from (what `taste` shows)."""
    if not text_centroid.any():
        return [], []
    weights = model.components @ text_centroid
    vocabulary = model.vocabulary
    top = np.argsort(-weights)[:count]
    bottom = np.argsort(weights)[:count]
    liked = [str(vocabulary[i]) for i in top if weights[i] > 0]
    disliked = [str(vocabulary[i]) for i in bottom if weights[i] < 0]
    return liked, disliked
