"""The shipped text representation: TF-IDF reduced to a few dense dimensions (LSA).

Built by scripts/train_similarity.py; `lsa.npz` holds only arrays (vocabulary, idf, stop
words, basis), so loading it needs no network and runs no code. Papers and queries go
through the same steps, so a query can match a paper that says the same thing in other words.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from paperwire.bot.models import Paper

if TYPE_CHECKING:  # scikit-learn only trains the model (scripts/train_similarity.py)
    from sklearn.feature_extraction.text import TfidfVectorizer

DIMENSIONS = 96
MODEL_FILE = Path(__file__).with_name("lsa.npz")
MODEL_VERSION = "lsa-1"
TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]+\b"


def new_vectorizer(vocabulary: list[str] | None = None) -> TfidfVectorizer:
    """What the model is trained with: unigrams and bigrams of TOKEN_PATTERN, English stop
    words out, sublinear TF-IDF. `TextModel.terms` computes the same at run time."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        lowercase=True,
        stop_words="english",
        token_pattern=TOKEN_PATTERN,
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
            self.vocabulary = [str(term) for term in data["vocabulary"]]
            self._idf = data["idf"].astype(np.float32)
            self._stop_words = frozenset(str(word) for word in data["stop_words"])
            self.components = data["components"].astype(np.float32).T.copy()  # terms x dimensions
        self._columns = {term: column for column, term in enumerate(self.vocabulary)}
        self._token = re.compile(TOKEN_PATTERN)
        self.version = MODEL_VERSION

    def terms(self, texts: list[str]) -> sparse.csr_matrix:
        """The texts' TF-IDF rows over the vocabulary (float32, unit length).

        The same numbers as scikit-learn's TfidfVectorizer made by `new_vectorizer` (a test
        compares them), computed here because importing scikit-learn's text module costs
        every process about 60 MB and a second, for a tokenizer and three array operations.
        """
        counts: list[int] = []
        columns: list[int] = []
        starts = [0]
        for text in texts:
            words = [word for word in self._token.findall(text.lower()) if word not in self._stop_words]
            found = Counter(
                column
                for term in (*words, *map(" ".join, zip(words, words[1:], strict=False)))
                if (column := self._columns.get(term)) is not None
            )
            columns += found.keys()
            counts += found.values()
            starts.append(len(columns))
        matrix = sparse.csr_matrix(
            (np.asarray(counts, dtype=np.float32), np.asarray(columns, dtype=np.int32), np.asarray(starts)),
            shape=(len(texts), len(self.vocabulary)),
        )
        matrix.sort_indices()
        np.log(matrix.data, out=matrix.data)
        matrix.data += 1.0  # sublinear term frequency
        matrix.data *= self._idf[matrix.indices]
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float32).ravel())
        matrix.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(matrix.indptr))
        return matrix

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        dense = np.asarray(self.terms(texts) @ self.components, dtype=np.float32)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        return dense / np.where(norms > 0, norms, 1.0)

    def embed_papers(self, papers: list[Paper]) -> np.ndarray:
        return self.embed([paper_text(paper) for paper in papers])


@lru_cache(maxsize=1)
def shipped_model() -> TextModel:
    """The packaged model, loaded once per process."""
    return TextModel()
