"""Every paper is cleaned where it enters the store: a NUL, a right-to-left override, LaTeX and
arXiv's link placeholder never reach the database (PostgreSQL refuses a NUL in text) or a post."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from paperwire.bot.cli import main
from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.models import Paper
from paperwire.bot.pipeline import Pipeline, PipelineOptions
from paperwire.bot.sources.files import read_file
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.config.settings import DEFAULT_TOPICS_FILE
from paperwire.formatters.markdown import render_markdown
from paperwire.formatters.telegram import render_digest
from tests.fakes.hf import make_item

DAY = date(2026, 2, 20)
INVISIBLE = set("\x00\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
TITLE = "\u202eSlimCache\u202c: Sparse Attention KV Cache Eviction for Efficient LLM Inference\x00"
ABSTRACT = (
    "Long-context inference with large language models is memory-bound.\x00 "
    r"In this paper, we propose \textsc{SlimCache}, a sparse attention KV cache that evicts tokens by predicted reuse. "
    r"SlimCache reaches 72.6\% of full-cache accuracy at 10\% of the memory and decodes 2.3$\times$ faster. "
    "Code is available at https://github.com/example-lab/slimcache/src{this https URL}."
)


def pipeline_for(db: Database) -> Pipeline:
    return Pipeline(db, load_taxonomy(DEFAULT_TOPICS_FILE), ExtractiveSummarizer(), PipelineOptions(max_papers=3))


def day_file(tmp_path: Path) -> Path:
    items = [
        make_item("2602.20001", TITLE, ABSTRACT, upvotes=50, github="https://github.com/example-lab/slimcache/src"),
        make_item(
            "2602.20002",
            "QuantServe: 4-bit Quantization for Efficient LLM Serving",
            "We introduce QuantServe, a quantization recipe for efficient LLM serving with speculative decoding. "
            "It cuts latency by 41% at equal accuracy.",
            upvotes=20,
        ),
    ]
    path = tmp_path / f"{DAY}.json"
    path.write_text(json.dumps(items), encoding="utf-8")  # "\u0000" in JSON, as an API may send it
    return path


async def test_a_nul_and_an_override_import_and_build_on_every_backend(db: Database, tmp_path: Path) -> None:
    pipeline = pipeline_for(db)
    await pipeline.ingest(read_file(day_file(tmp_path), DAY), "test")
    async with db.connect() as connection:
        stored = await paper_store.get_paper(connection, "2602.20001")
    assert stored is not None
    assert stored.title == "SlimCache: Sparse Attention KV Cache Eviction for Efficient LLM Inference"
    assert "\\" not in stored.abstract and "{this" not in stored.abstract and "\x00" not in stored.abstract
    assert "72.6% of full-cache accuracy" in stored.abstract and "2.3× faster" in stored.abstract
    assert "https://github.com/example-lab/slimcache/src." in stored.abstract

    for language in ("en", "zh"):
        digest = await pipeline.build(DAY, language)
        assert digest is not None and digest.entries
        entry = next(e for e in digest.entries if e.paper.arxiv_id == "2602.20001")
        assert entry.card.results  # the grounding-safe card is built from the cleaned text
        texts = [render_markdown(digest)] + [m.text for m in render_digest(digest, excluded_callback="x:1")]
        for text in texts:
            assert not INVISIBLE & set(text)
            assert "\\textsc" not in text and "this https URL" not in text


async def test_a_paper_looked_up_on_demand_is_cleaned_before_it_is_stored(db: Database) -> None:
    paper = Paper(arxiv_id="2602.20003", title="Slim\x00Cache: \u2066Eviction\u2069", abstract="We cut memory by 50\\%.\x00")
    await pipeline_for(db).store_paper(paper)
    assert paper.title == "SlimCache: Eviction"  # cleaned in place: the caller renders this object
    async with db.connect() as connection:
        stored = await paper_store.get_paper(connection, "2602.20003")
    assert stored is not None and stored.title == "SlimCache: Eviction"
    assert stored.abstract == "We cut memory by 50%."


def test_import_and_digest_verbs_take_a_nul_on_every_backend(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14's report: `import` of a title with a NUL failed on PostgreSQL (CharacterNotInRepertoireError)."""
    monkeypatch.setenv("PAPERWIRE_DATABASE__URL", database_url)
    folder = tmp_path / "saved"
    folder.mkdir()
    day_file(folder)
    assert main(["import", str(folder), "--quiet"]) == 0
    assert "2 papers loaded" in capsys.readouterr().out
    assert main(["digest", "--date", DAY.isoformat(), "--lang", "zh"]) == 0
    post = capsys.readouterr().out
    assert "SlimCache: Sparse Attention" in post and "2026年02月21日" in post
    assert not INVISIBLE & set(post)
