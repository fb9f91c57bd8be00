"""A relevance model with hand-set weights, for tests whose taxonomies the shipped model never saw.

It reads only the taxonomy's keyword scores: a topic keyword raises the pick probability (a
title hit alone passes the bar), a family keyword lowers it, and the topic head follows the
topic keywords. The selection rules around it are what those tests exercise.
"""

from __future__ import annotations

import numpy as np

from paperwire.bot.curation.paper_type import PAPER_TYPES
from paperwire.bot.curation.relevance import RelevanceModel
from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.similar.lsa import DIMENSIONS, shipped_model


def keyword_model(taxonomy: Taxonomy) -> RelevanceModel:
    topics = list(taxonomy.topic_ids)
    ids = topics + [family.id for family in taxonomy.families]
    vocabulary = len(shipped_model().vocabulary)
    is_topic = np.array([1.0 if i in topics else 0.0 for i in ids], dtype=np.float32)
    weights = {
        "keyword_ids": np.array(ids, dtype=str),
        "topic_ids": np.array(topics, dtype=str),
        "type_ids": np.array(PAPER_TYPES, dtype=str),
        "pick_keywords": 2.0 * is_topic - 3.0 * (1 - is_topic),
        "pick_bias": np.array([-1.0], dtype=np.float32),
        "must_keywords": 3.0 * is_topic,
        "must_bias": np.array([-4.5], dtype=np.float32),
        "topic_keywords": np.array([[4.0 * (i == t) for t in topics] for i in ids], dtype=np.float32),
        "topic_bias": np.zeros(len(topics), dtype=np.float32),
    }
    for head, width in (("pick", 1), ("must", 1), ("topic", len(topics))):
        shape = (lambda n: (n,)) if width == 1 else (lambda n: (n, width))
        weights[f"{head}_terms"] = np.zeros(shape(vocabulary), dtype=np.float16)
        weights[f"{head}_lsa"] = np.zeros(shape(DIMENSIONS), dtype=np.float32)
        weights[f"{head}_types"] = np.zeros(shape(len(PAPER_TYPES)), dtype=np.float32)
    return RelevanceModel(weights)
