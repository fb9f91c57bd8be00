"""The run-time TF-IDF of the text model gives what scikit-learn's vectorizer, the one the
model was trained with, gives for the same vocabulary: on the sample days, on the saved
archive when it is present, and on generated text."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from paperwire.bot.models import Paper
from paperwire.bot.sample import SAMPLE_DIR
from paperwire.bot.similar.lsa import new_vectorizer, paper_text, shipped_model
from paperwire.bot.sources.files import FileSource
from tests.conftest import shared_data_or_skip


def sklearn_terms(texts: list[str]):  # type: ignore[no-untyped-def]
    model = shipped_model()
    vectorizer = new_vectorizer(model.vocabulary)
    vectorizer.fit(["unused"])  # a fixed vocabulary: fitting only sets the idf, replaced below
    vectorizer.idf_ = model._idf
    return vectorizer.transform(texts)


def assert_same_terms(texts: list[str]) -> None:
    ours = shipped_model().terms(texts)
    theirs = sklearn_terms(texts).tocsr()
    theirs.sort_indices()
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-5, atol=1e-7)


def papers_of(folder) -> list[Paper]:  # type: ignore[no-untyped-def]
    return [paper for day in FileSource(folder).iter_days() for paper in day.papers]


def test_the_stop_words_are_scikit_learns() -> None:
    assert shipped_model()._stop_words == ENGLISH_STOP_WORDS


def test_the_sample_days_get_scikit_learns_terms() -> None:
    texts = [paper_text(paper) for paper in papers_of(SAMPLE_DIR)]
    assert len(texts) > 20
    assert_same_terms(texts + ["", "the of and", "!!! 42 --"])  # empty rows too


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab- 9\nThe LLM model-based of x")), max_size=80), min_size=1, max_size=5))
def test_generated_text_gets_scikit_learns_terms(texts: list[str]) -> None:
    vocabulary = shipped_model().vocabulary
    words = [vocabulary[i] for i in range(0, len(vocabulary), 997)]
    assert_same_terms([text + " " + " ".join(words[: len(text) % 12]) for text in texts])


def test_the_saved_archive_gets_scikit_learns_terms() -> None:
    folder = shared_data_or_skip()
    texts = [paper_text(paper) for paper in papers_of(folder)[::7]]
    assert len(texts) > 1000
    assert_same_terms(texts)
