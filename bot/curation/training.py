"""Fitting the relevance model on editor labels (used by scripts/train_relevance.py and bench/).

Labels live in eval/labels/days/*.json (ids, labels and the labellers' words only); the
paper text comes from saved Daily Papers responses. Fitting is deterministic: sorted input,
lbfgs, no random state involved.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from paperwire.bot.curation.classify import classify
from paperwire.bot.curation.paper_type import PAPER_TYPES, detect_type
from paperwire.bot.curation.relevance import RelevanceModel, build_features
from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Paper
from paperwire.bot.similar.lsa import TextModel
from paperwire.bot.sources.errors import SourceError
from paperwire.bot.sources.files import FileSource

logger = logging.getLogger(__name__)

PICK_C = 4.0
MUST_C = 1.0
TOPIC_C = 4.0
KIND_C = 4.0
MUST_WEIGHT = 3.0
# Label types under the ids the taxonomy's families use.
_KINDS = {"benchmark": "benchmark-dataset", "theory": "pure-theory", "application": "domain-application"}


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled paper: its day, its text (from the saved responses) and the editor's call."""

    day: date
    paper: Paper
    label: str  # must | optional | exclude
    topic: str | None
    type: str
    family: str | None


def load_labelled(labels_dir: Path, data_dir: Path) -> list[Labelled]:
    """Every labelled paper whose day and id are found in `data_dir`, by day then list order."""
    source = FileSource(data_dir)
    examples: list[Labelled] = []
    for path in sorted(labels_dir.glob("????-??-??.json")):
        labels = json.loads(path.read_text(encoding="utf-8"))
        day = date.fromisoformat(labels["day"])
        try:
            papers = {paper.arxiv_id: paper for paper in source.read_day(day).papers}
        except SourceError as error:
            logger.warning("labels of %s: no saved day to read (%s)", day, error)
            continue
        for entry in labels["papers"]:
            paper = papers.get(entry["id"])
            if paper is None:
                logger.warning("labels of %s: %s is not on the saved list", day, entry["id"])
                continue
            examples.append(
                Labelled(day, paper, entry["label"], entry.get("topic"), entry.get("type", "method"), entry.get("family"))
            )
    return examples


def fit_relevance(examples: Sequence[Labelled], taxonomy: Taxonomy, text_model: TextModel) -> RelevanceModel:
    """Fit the pick, must and topic heads on `examples`."""
    papers = [example.paper for example in examples]
    classifications = [classify(paper, taxonomy) for paper in papers]
    types = [detect_type(paper) for paper in papers]
    features = build_features(papers, classifications, types, text_model)
    matrix = features.matrix()
    blocks = _block_slices(features)

    picked = np.array([example.label != "exclude" for example in examples], dtype=int)
    must = np.array([example.label == "must" for example in examples], dtype=int)
    # A must-read counts MUST_WEIGHT times: missing one costs more than missing an optional pick.
    weight = np.where(must == 1, MUST_WEIGHT, 1.0)
    pick_model = LogisticRegression(C=PICK_C, max_iter=5000, class_weight="balanced").fit(matrix, picked, sample_weight=weight)
    must_model = LogisticRegression(C=MUST_C, max_iter=5000, class_weight="balanced").fit(matrix, must)

    topic_ids = tuple(taxonomy.topic_ids)
    with_topic = [row for row, example in enumerate(examples) if example.topic in topic_ids]
    topic_coef, topic_bias = _multiclass(
        matrix[with_topic], [topic_ids.index(examples[row].topic) for row in with_topic], len(topic_ids), TOPIC_C  # type: ignore[arg-type]
    )
    kind_ids = tuple(sorted({_KINDS.get(example.type, example.type) for example in examples}))
    kind_coef, kind_bias = _multiclass(
        matrix, [kind_ids.index(_KINDS.get(example.type, example.type)) for example in examples], len(kind_ids), KIND_C
    )

    weights: dict[str, np.ndarray] = {
        "keyword_ids": np.array(features.keyword_ids, dtype=str),
        "topic_ids": np.array(topic_ids, dtype=str),
        "type_ids": np.array(PAPER_TYPES, dtype=str),
        "kind_ids": np.array(kind_ids, dtype=str),
    }
    for head, coef, bias in (
        ("pick", pick_model.coef_[0], pick_model.intercept_[:1]),
        ("must", must_model.coef_[0], must_model.intercept_[:1]),
        ("topic", topic_coef.T, topic_bias),
        ("kind", kind_coef.T, kind_bias),
    ):
        for block, columns in blocks.items():
            weights[f"{head}_{block}"] = np.asarray(coef[columns], dtype=np.float16 if block == "terms" else np.float32)
        weights[f"{head}_bias"] = np.asarray(bias, dtype=np.float32)
    return RelevanceModel(weights)


def _multiclass(matrix, target: list[int], classes: int, c: float) -> tuple[np.ndarray, np.ndarray]:
    """A softmax model's weights per class; a class no example has is never predicted."""
    model = LogisticRegression(C=c, max_iter=5000).fit(matrix, np.array(target))
    coef = np.zeros((classes, matrix.shape[1]))
    bias = np.full(classes, -30.0)
    for position, label in enumerate(model.classes_):
        if len(model.classes_) == 2:  # binary: sklearn keeps one row, for the second class
            sign = 1 if position == 1 else -1
            coef[label], bias[label] = sign * model.coef_[0] / 2, sign * model.intercept_[0] / 2
        else:
            coef[label], bias[label] = model.coef_[position], model.intercept_[position]
    return coef, bias


def _block_slices(features) -> dict[str, slice]:
    sizes = {
        "terms": features.terms.shape[1],
        "lsa": features.lsa.shape[1],
        "keywords": features.keywords.shape[1],
        "types": features.types.shape[1],
    }
    slices, start = {}, 0
    for name, size in sizes.items():
        slices[name] = slice(start, start + size)
        start += size
    return slices
