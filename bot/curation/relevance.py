"""The shipped relevance model: would the editor pick this paper, and in which topic?

Two linear models over one feature row per paper, trained on the editor labels in
`eval/labels/` by scripts/train_relevance.py:

- text: the TF-IDF terms and the LSA vector of the shipped text model (bot/similar), so a
  paper that says "KV eviction" without the taxonomy's words is still understood;
- the taxonomy's keyword scores per topic and family (explainable, and a user's edits to the
  keywords move them), and the paper type read by bot/curation/paper_type.

`relevance.npz` holds only arrays (weights by feature name), so loading runs no code and
needs no network; the same input always gives the same output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

from paperwire.bot.curation.classify import Classification
from paperwire.bot.curation.paper_type import PAPER_TYPES, PaperType, type_flags
from paperwire.bot.models import Paper
from paperwire.bot.similar.lsa import TextModel, paper_text, shipped_model

MODEL_FILE = Path(__file__).with_name("relevance.npz")


@dataclass(frozen=True, slots=True)
class Relevance:
    """How likely the editor picks the paper, how likely as a must-read, and its best topic."""

    pick: float
    must: float
    topic_probabilities: dict[str, float]
    # The paper type as the labels taught it (method, application, technical-report, ...).
    kind_probabilities: dict[str, float] = field(default_factory=dict)

    def likely_kind(self) -> tuple[str, float]:
        if not self.kind_probabilities:
            return "method", 1.0
        return max(self.kind_probabilities.items(), key=lambda item: (item[1], item[0]))

    @property
    def topic(self) -> str | None:
        if not self.topic_probabilities:
            return None
        return max(self.topic_probabilities.items(), key=lambda item: (item[1], item[0]))[0]


@dataclass(slots=True)
class Features:
    """One row per paper: text terms (sparse), LSA vector, keyword scores by id, type flags."""

    terms: sparse.csr_matrix
    lsa: np.ndarray
    keywords: np.ndarray  # papers x len(keyword_ids)
    keyword_ids: tuple[str, ...]
    types: np.ndarray

    def matrix(self) -> sparse.csr_matrix:
        return sparse.hstack([self.terms, self.lsa, self.keywords, self.types], format="csr")


def build_features(
    papers: Sequence[Paper],
    classifications: Sequence[Classification],
    types: Sequence[PaperType],
    text_model: TextModel,
) -> Features:
    texts = [_text(paper) for paper in papers]
    terms = text_model.terms(texts)
    lsa = np.asarray(terms @ text_model.components, dtype=np.float32).reshape(len(texts), -1)
    norms = np.linalg.norm(lsa, axis=1, keepdims=True)
    lsa = lsa / np.where(norms > 0, norms, 1.0)  # the text model's embedding, from one transform
    keyword_ids: tuple[str, ...] = ()
    if classifications:
        first = classifications[0]
        keyword_ids = (*first.topic_scores, *first.family_scores)
    keywords = np.array(
        [[math.log1p(c.topic_scores.get(i, c.family_scores.get(i, 0.0))) for i in keyword_ids] for c in classifications],
        dtype=np.float32,
    ).reshape(len(papers), len(keyword_ids))
    flags = np.array([type_flags(kind) for kind in types], dtype=np.float32).reshape(len(papers), len(PAPER_TYPES))
    return Features(terms=terms, lsa=lsa, keywords=keywords, keyword_ids=keyword_ids, types=flags)


def _text(paper: Paper) -> str:
    """The similarity model's text of a paper, with HF's one-line summary when there is one."""
    return paper_text(paper) + ("\n" + paper.ai_summary if paper.ai_summary else "")


class RelevanceModel:
    """Linear pick / must / topic models stored as weights per named feature block."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.vocabulary_size = int(weights["pick_terms"].shape[0])
        self.keyword_ids = tuple(str(name) for name in weights["keyword_ids"])
        self.topic_ids = tuple(str(name) for name in weights["topic_ids"])
        self.kind_ids = tuple(str(name) for name in weights.get("kind_ids", np.array([], dtype=str)))
        self.weights = {name: np.asarray(value) for name, value in weights.items()}
        # Computed in float32 (stored as float16 where that halves the file); converted once.
        self._float = {
            name: np.asarray(value, dtype=np.float32)
            for name, value in self.weights.items()
            if value.dtype.kind == "f"
        }
        self._keyword_weights = {
            head: dict(zip(self.keyword_ids, self._float[f"{head}_keywords"], strict=True))
            for head in ("pick", "must", "topic", "kind")
            if f"{head}_keywords" in self._float
        }

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> RelevanceModel:
        with np.load(path, allow_pickle=False) as data:
            return cls({name: data[name] for name in data.files})

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **self.weights)

    def _logits(self, head: str, features: Features) -> np.ndarray:
        w = self._float
        logits = features.terms @ w[f"{head}_terms"]
        logits = logits + features.lsa @ w[f"{head}_lsa"] + features.types @ w[f"{head}_types"]
        by_id = self._keyword_weights[head]
        # A keyword feature the model never saw (a user's own topic) has no weight.
        for column, name in enumerate(features.keyword_ids):
            weight = by_id.get(name)
            if weight is not None:
                logits = logits + np.outer(features.keywords[:, column], weight).reshape(logits.shape)
        return np.asarray(logits + w[f"{head}_bias"])

    def predict(self, features: Features) -> list[Relevance]:
        if features.lsa.shape[0] == 0:
            return []
        pick = _sigmoid(self._logits("pick", features))
        must = _sigmoid(self._logits("must", features))
        topic = _softmax(self._logits("topic", features))
        kind = _softmax(self._logits("kind", features)) if self.kind_ids else np.zeros((len(pick), 0))
        return [
            Relevance(
                pick=round(float(pick[row]), 4),
                must=round(float(must[row]), 4),
                topic_probabilities={t: round(float(topic[row, c]), 4) for c, t in enumerate(self.topic_ids)},
                kind_probabilities={k: round(float(kind[row, c]), 4) for c, k in enumerate(self.kind_ids)},
            )
            for row in range(len(pick))
        ]


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    values = np.exp(logits)
    return values / values.sum(axis=1, keepdims=True)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values.reshape(-1), -30, 30)))


@lru_cache(maxsize=1)
def shipped_relevance() -> RelevanceModel:
    """The packaged model, loaded once per process."""
    return RelevanceModel.load()


def default_text_model() -> TextModel:
    return shipped_model()
