"""LLM spending is paid once: a card the grounding check rejected is cached like any card, so
rebuilds, `today` and `paper` make no call for it; only failures without an answer are asked
again. `--stats` shows this run's spend beside the stored totals, the judge's included."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest

from paperwire.bot.cli import main
from paperwire.bot.curation.taxonomy import load_taxonomy
from paperwire.bot.metrics import Metrics
from paperwire.bot.pipeline import Pipeline, PipelineOptions
from paperwire.bot.sample import SAMPLE_DAY, SAMPLE_DIR
from paperwire.bot.sources.files import read_file
from paperwire.bot.store import curation as curation_store
from paperwire.bot.store.database import Database
from paperwire.bot.summarize.extractive import ExtractiveSummarizer
from paperwire.bot.summarize.factory import build_llm
from paperwire.config.settings import DEFAULT_TOPICS_FILE, load_settings
from tests.fakes.llm import FakeLLM


def run(*argv: str) -> int:
    return main(list(argv))


def stats_of(err: str) -> dict:
    return json.loads(err.split("paperwire: stats ", 1)[1].splitlines()[0])


def use_llm(monkeypatch: pytest.MonkeyPatch, llm: FakeLLM, *, judge: bool = False) -> None:
    monkeypatch.setenv("PAPERWIRE_LLM__BASE_URL", llm.base_url)
    monkeypatch.setenv("PAPERWIRE_LLM__API_KEY", "sk-test")
    monkeypatch.setenv("PAPERWIRE_LLM__MODEL", "fake-model")
    monkeypatch.setenv("PAPERWIRE_LLM__MAX_RETRIES", "0")
    if judge:
        monkeypatch.setenv("PAPERWIRE_LLM__JUDGE", "true")


async def test_rejected_cards_are_paid_once_in_both_languages(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeLLM(default_mode="hallucinated_core") as llm:  # every card fails the grounding check
        use_llm(monkeypatch, llm, judge=True)
        assert await asyncio.to_thread(run, "digest", "--source", "sample", "--stats") == 0
        first = capsys.readouterr()
        assert "### 6." in first.out
        first_stats = stats_of(first.err)
        assert first_stats["extractive_cards"] == 6 and first_stats["llm_cards"] == 0
        assert first_stats["run"]["card_calls"] == 6 and first_stats["run"]["judge_calls"] == 1
        assert first_stats["run"]["judge_prompt_tokens"] > 0
        assert llm.calls == 7
        assert await asyncio.to_thread(run, "digest", "--source", "sample", "--lang", "zh") == 0
        capsys.readouterr()
        assert llm.calls == 13  # six Chinese cards; the day's curation and its judge are shared

        paid = llm.calls
        for language in ("en", "zh"):
            assert await asyncio.to_thread(run, "digest", "--source", "sample", "--lang", language, "--stats") == 0
            rebuild = stats_of(capsys.readouterr().err)
            assert set(rebuild["run"].values()) - {rebuild["run"]["cards_cached"]} == {0}
            assert rebuild["run"]["cards_cached"] == 6
            assert rebuild["stored"]["card_calls"] == 6 and rebuild["stored"]["judge_calls"] == 1
            assert rebuild["stored"]["card_prompt_tokens"] > 0
        assert llm.calls == paid

        for language in ("en", "zh"):
            assert await asyncio.to_thread(run, "ask", "today", "--lang", language) == 0
        assert capsys.readouterr().out.count("2602.") >= 6  # both overviews list the picks
        assert llm.calls == paid
        picked = read_file(SAMPLE_DIR / f"{SAMPLE_DAY}.json").papers

        # `paper` on a card the digest made: from the cache.
        in_digest = next(p for p in picked if p.title.split(":")[0] in first.out.split("## Excluded papers")[0])
        assert await asyncio.to_thread(run, "ask", f"paper {in_digest.arxiv_id}") == 0
        assert llm.calls == paid
        # `paper` on a paper no digest summarized: one call, the first time only.
        outside = next(p for p in picked if p.arxiv_id not in first.out.split("## Excluded papers")[0])
        for _ in range(2):
            assert await asyncio.to_thread(run, "ask", f"paper {outside.arxiv_id}", "--lang", "zh") == 0
        assert llm.calls == paid + 1
        capsys.readouterr()


async def test_failures_without_an_answer_are_asked_again(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeLLM(default_mode="500") as llm:
        use_llm(monkeypatch, llm)
        assert await asyncio.to_thread(run, "digest", "--source", "sample", "--stats") == 0
        assert stats_of(capsys.readouterr().err)["extractive_cards"] == 6
        assert llm.calls == 6
        llm.default_mode = "429"
        llm.retry_after = "0"
        assert await asyncio.to_thread(run, "digest", "--source", "sample") == 0
        assert llm.calls == 12  # asked again: a 5xx or 429 may pass
        llm.default_mode = "valid"
        assert await asyncio.to_thread(run, "digest", "--source", "sample", "--stats") == 0
        captured = capsys.readouterr()
        assert llm.calls == 18
        assert stats_of(captured.err)["run"]["card_calls"] == 6
        assert await asyncio.to_thread(run, "ask", "today") == 0
        assert llm.calls == 18  # the model's cards are cached now


async def test_judge_and_card_spend_reach_the_metrics(db: Database, tmp_path: Path) -> None:
    taxonomy = load_taxonomy(DEFAULT_TOPICS_FILE)
    async with FakeLLM(default_mode="hallucinated_core") as llm, aiohttp.ClientSession() as http:
        async with AsyncExitStack() as stack:
            settings = load_settings(
                None,
                data_dir=tmp_path,
                llm={"base_url": llm.base_url, "api_key": "k", "model": "fake-model", "judge": True, "max_retries": 0},
            )
            summarizer, judge = build_llm(settings, http, ExtractiveSummarizer(), stack, taxonomy)
            metrics = Metrics()
            pipeline = Pipeline(db, taxonomy, summarizer, PipelineOptions(), metrics=metrics, judge=judge)
            await pipeline.ingest(read_file(SAMPLE_DIR / f"{SAMPLE_DAY}.json"), "sample")
            await pipeline.build(SAMPLE_DAY, "en")
            await pipeline.build(SAMPLE_DAY, "en")
    text = metrics.render().decode()
    assert 'paperwire_llm_calls_total{purpose="judge"} 1.0' in text
    assert 'paperwire_llm_calls_total{purpose="card"} 6.0' in text
    judge_tokens = [line for line in text.splitlines() if line.startswith('paperwire_llm_tokens_total{kind="prompt",purpose="judge"}')]
    assert judge_tokens and float(judge_tokens[0].split()[-1]) > 0
    async with db.connect() as connection:
        record = await curation_store.judge_record(connection, SAMPLE_DAY)
    assert record is not None and record["judge_calls"] == 1
    assert all("reason_en" in verdict for verdict in record["verdicts"].values())
