"""The text representation, the in-memory index and the search blend."""

from __future__ import annotations

from datetime import date

import numpy as np

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
