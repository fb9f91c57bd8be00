"""The text representation, the in-memory index and the search blend."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.models import DayPapers, Paper
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.similar.blend import MIN_SIMILARITY, blend_rankings
from paperwire.bot.similar.index import SimilarityIndex
from paperwire.bot.similar.lsa import DIMENSIONS, shipped_model
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE

DAY = date(2026, 2, 20)


def paper(arxiv_id: str, title: str, abstract: str) -> Paper:
    return Paper(arxiv_id=arxiv_id, title=title, abstract=abstract, list_day=DAY)


PAPERS = [
    paper("2602.00001", "Quantized KV cache for long-context serving", "We compress the key-value cache to 2 bits."),
    paper("2602.00002", "Speculative decoding with a draft model", "We speed up LLM inference with speculative decoding."),
    paper("2602.00003", "Text-to-image diffusion with better prompts", "We improve image generation with diffusion models."),
    paper("2602.00004", "Robot manipulation policy from language", "A vision-language-action model for robot grasping."),
]


def test_the_model_is_deterministic_and_unit_length() -> None:
    model = shipped_model()
    first = model.embed(["sparse attention for long context", ""])
    again = model.embed(["sparse attention for long context", ""])
    assert first.shape == (2, DIMENSIONS) and first.dtype == np.float32
    assert np.array_equal(first, again)
    assert abs(float(np.linalg.norm(first[0])) - 1.0) < 1e-5
    assert not first[1].any(), "no words, no direction"


async def test_index_backfills_old_papers_and_sees_new_ones(db: Database) -> None:
    async with db.begin() as connection:
        await paper_store.upsert_papers(connection, PAPERS[:3])  # stored before vectors existed
    clock = [0.0]
    index = SimilarityIndex(db, shipped_model(), refresh_seconds=30, clock=lambda: clock[0])
    nearest = await index.related("2602.00001", 2)
    assert nearest is not None and nearest[0][0] == "2602.00002"
    async with db.begin() as connection:
        await paper_store.upsert_papers(connection, [PAPERS[3]])
    await index.store([PAPERS[3]])
    assert await index.related("2602.00004") is None, "not seen before the next refresh"
    clock[0] += 31
    assert [key for key, _ in await index.query("robots grasping objects", 1)] == ["2602.00004"]
    assert await index.related("unknown") is None


async def test_pipeline_ingest_stores_vectors(db: Database) -> None:
    index = SimilarityIndex(db, shipped_model())
    pipeline = Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer(), similar=index)
    await pipeline.ingest(DayPapers(list_day=DAY, papers=list(PAPERS)), "test")
    result = await index.related("2602.00003", 3)
    assert result is not None and len(result) == 3


def test_blend_keeps_title_matches_first_then_fuses_both_rankings() -> None:
    full_text = [("a", True), ("b", False), ("c", False)]
    similar = [("d", 0.9), ("c", 0.8), ("e", MIN_SIMILARITY - 0.01)]
    assert blend_rankings(full_text, similar, 10) == ["a", "c", "d", "b"]  # found by both rises
    assert blend_rankings(full_text, similar, 2) == ["a", "c"]
    assert blend_rankings([], [("x", 0.5)], 3) == ["x"]
    assert blend_rankings([], [("x", 0.1)], 3) == []


def test_cells_find_the_nearest_vectors_as_a_full_scan_does() -> None:
    from paperwire.bot.similar.cells import Cells

    rng = np.random.default_rng(7)
    centres = rng.normal(size=(60, DIMENSIONS))
    matrix = (centres[rng.integers(0, 60, 6000)] + rng.normal(scale=0.6, size=(6000, DIMENSIONS))).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    cells, order = Cells.fit(matrix)
    grouped = matrix[order]
    assert sorted(order.tolist()) == list(range(6000)) and cells.size == 6000
    found = 0
    for query in grouped[rng.choice(6000, 50, replace=False)]:
        exact = set(np.argsort(-(grouped @ query))[:10].tolist())
        rows, scores = cells.scores(grouped, query)
        assert np.allclose(scores, grouped[rows] @ query, atol=1e-5)
        found += len(exact & set(rows[np.argsort(-scores)[:10]].tolist()))
    assert found / 500 >= 0.9, f"recall@10 {found / 500:.2f}"


TOPIC_WORDS = [
    ["quantized", "cache", "serving", "memory"], ["speculative", "decoding", "draft", "inference"],
    ["diffusion", "image", "generation", "prompts"], ["robot", "manipulation", "grasping", "policy"],
    ["reinforcement", "reward", "reasoning", "math"], ["speech", "audio", "recognition", "voice"],
]


def corpus(count: int, start: int = 0) -> list[Paper]:
    """Papers on six themes, each with its own mix of the themes' words."""
    vocabulary = [word for words in TOPIC_WORDS for word in words]
    papers = []
    for n in range(start, start + count):
        words = TOPIC_WORDS[n % len(TOPIC_WORDS)]
        extra = [vocabulary[(n * k + 5) % len(vocabulary)] for k in (3, 7, 11)]
        title = f"{words[n % 4]} {words[(n + 1) % 4]} with {extra[0]}"
        papers.append(paper(f"2602.{n:05d}", title, f"We study {words[2]}, {extra[1]} and {extra[2]}."))
    return papers


def assert_same(found: list[tuple[str, float]] | None, expected: list[tuple[str, float]] | None) -> None:
    """The same papers with the same scores, but for the float sums' rounding (which can swap
    two papers of equal score)."""
    assert found is not None and expected is not None
    assert sorted((round(score, 4), key) for key, score in found) == sorted(
        (round(score, 4), key) for key, score in expected
    )
    assert [score for _, score in found] == pytest.approx([score for _, score in expected], abs=1e-5)


async def test_an_index_in_cells_answers_as_the_full_scan_does(db: Database) -> None:
    stored = corpus(48)
    async with db.begin() as connection:
        await paper_store.upsert_papers(connection, stored)
    clock = [0.0]
    exact = SimilarityIndex(db, shipped_model(), clock=lambda: clock[0])
    await exact.store(stored)
    in_cells = SimilarityIndex(db, shipped_model(), clock=lambda: clock[0], cells_from=30)
    await in_cells.related(stored[0].arxiv_id)
    await in_cells.settled()
    assert in_cells._cells is not None and in_cells._cells.probes == len(in_cells._cells.centroids)  # every cell probed
    for one in stored:
        assert_same(await in_cells.related(one.arxiv_id, 60), await exact.related(one.arxiv_id, 60))
    assert_same(await in_cells.query("robot grasping policy", 60), await exact.query("robot grasping policy", 60))

    later = corpus(3, start=48)  # stored after the fit: not in a cell, still found
    async with db.begin() as connection:
        await paper_store.upsert_papers(connection, later)
    await exact.store(later)
    clock[0] += 31
    for one in later:
        assert_same(await in_cells.related(one.arxiv_id, 60), await exact.related(one.arxiv_id, 60))
    assert in_cells._cells.size == 48
