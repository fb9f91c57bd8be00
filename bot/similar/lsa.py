"""The shipped text representation: TF-IDF reduced to a few dense dimensions (LSA).

Built by scripts/train_similarity.py; `lsa.npz` holds only arrays (vocabulary, idf, basis),
so loading it needs no network and runs no code. Papers and queries go through the same
steps, so a query can match a paper that says the same thing in other words.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from paperwire.bot.models import Paper

if TYPE_CHECKING:  # scikit-learn takes about a second to import: only when a text is embedded
    from sklearn.feature_extraction.text import TfidfVectorizer

DIMENSIONS = 96
MODEL_FILE = Path(__file__).with_name("lsa.npz")
MODEL_VERSION = "lsa-1"


def new_vectorizer(vocabulary: list[str] | None = None) -> TfidfVectorizer:
    """The tokenizer and weighting shared by training and use (unigrams and bigrams)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]+\b",
        ngram_range=(1, 2),
        min_df=3 if vocabulary is None else 1,
        max_features=20000 if vocabulary is None else None,
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary=vocabulary,
    )


def document_text(title: str, abstract: str, keywords: list[str] | tuple[str, ...] = ()) -> str:
    """What a paper is represented by; the title counts twice."""
    return "\n".join([title, title, abstract, ", ".join(keywords)])


def paper_text(paper: Paper) -> str:
    return document_text(paper.title, paper.abstract, paper.ai_keywords)


class TextModel:
    """Turns texts into unit vectors of DIMENSIONS floats (rows of a float32 matrix)."""

    def __init__(self, path: Path = MODEL_FILE) -> None:
        with np.load(path, allow_pickle=False) as data:
            self._vocabulary = [str(term) for term in data["vocabulary"]]
            self._idf = data["idf"].astype(np.float32)
            self.components = data["components"].astype(np.float32).T.copy()  # terms x dimensions
        self.version = MODEL_VERSION

    @cached_property
    def vectorizer(self) -> TfidfVectorizer:
        """Built on first use, so commands that embed nothing start without scikit-learn."""
        vectorizer = new_vectorizer(self._vocabulary)
        vectorizer.idf_ = self._idf
        return vectorizer

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        dense = np.asarray(self.vectorizer.transform(texts) @ self.components, dtype=np.float32)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        return dense / np.where(norms > 0, norms, 1.0)

    def embed_papers(self, papers: list[Paper]) -> np.ndarray:
        return self.embed([paper_text(paper) for paper in papers])


@lru_cache(maxsize=1)
def shipped_model() -> TextModel:
    """The packaged model, loaded once per process."""
    return TextModel()
