"""LLMSummarizer against the fake OpenAI-compatible server, through the real openai SDK."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import openai
import pytest

from paperwire.bot.models import Card, Language, Paper
from paperwire.bot.summarize import llm as llm_module
from paperwire.bot.summarize.budget import TokenBudget
from paperwire.bot.summarize.extractive import ExtractiveSummarizer, summarize_extractive
from paperwire.bot.summarize.llm import LLMSummarizer
from paperwire.bot.summarize.prompts import CARD_FIELDS, PROMPT_VERSION
from tests.fakes.llm import FakeLLM, invented_papers

PAPERS = invented_papers()
SPARSEFLOW = PAPERS[0]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


@pytest.fixture
async def client(fake: FakeLLM) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test")
    yield client
    await client.close()


def summarizer(client: openai.AsyncOpenAI, **options: object) -> LLMSummarizer:
    options.setdefault("max_retries", 0)
    return LLMSummarizer(client, "fake-model", fallback=ExtractiveSummarizer(), **options)  # type: ignore[arg-type]


def card_text(card: Card) -> str:
    return " ".join([card.one_liner, card.core_innovation, *card.innovation_points, *card.results, card.key_insight])


# --- a good answer ---------------------------------------------------------------------


async def test_valid_answer_gives_a_grounded_llm_card_and_records_tokens(fake: FakeLLM, client) -> None:
    result = await summarizer(client).summarize(SPARSEFLOW, "en")

    assert result.card.method == "llm"
    assert "SparseFlow" in result.card.one_liner
    assert any("16.2×" in item for item in result.card.results)
    assert (result.model, result.prompt_version) == ("fake-model", PROMPT_VERSION)
    assert (result.prompt_tokens, result.completion_tokens) == (fake.prompt_tokens, fake.completion_tokens)
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    assert result.claims_checked > 0 and result.claims_dropped == 0
    assert fake.calls == 1


async def test_chinese_digest_gets_chinese_card_text(fake: FakeLLM, client) -> None:
    result = await summarizer(client).summarize(SPARSEFLOW, "zh")

    assert result.card.method == "llm"
    assert CJK.search(result.card.one_liner) and CJK.search(result.card.results[0])
    assert "简体中文" in fake.requests[0]["messages"][0]["content"]
    assert result.claims_checked > 0 and result.claims_dropped == 0


async def test_request_asks_for_the_card_json_schema(fake: FakeLLM, client) -> None:
    await summarizer(client).summarize(SPARSEFLOW, "en")

    body = fake.requests[0]
    assert body["model"] == "fake-model"
    assert body["max_tokens"] > 0
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    schema = response_format["json_schema"]["schema"]
    assert set(schema["properties"]) == set(CARD_FIELDS) and "method" not in schema["properties"]
    assert schema["additionalProperties"] is False
    assert "arXiv: 2602.90001" in body["messages"][1]["content"]
    assert SPARSEFLOW.abstract.split(". ")[1] in body["messages"][1]["content"]


async def test_list_items_lose_numbering_the_model_added(fake: FakeLLM, client) -> None:
    fake.say(
        '{"one_liner": "We propose SparseFlow.", "core_innovation": "", "innovation_points": '
        '["1. A learned router.", "2) Distilled from dense attention."], "results": [], "key_insight": "", '
        '"fits": "", "limitations": "", "next_action": ""}'
    )
    result = await summarizer(client).summarize(SPARSEFLOW, "en")

    assert result.card.innovation_points == ["A learned router.", "Distilled from dense attention."]


# --- what the server accepts -----------------------------------------------------------


async def test_server_without_json_schema_gets_json_object_from_then_on(fake: FakeLLM, client) -> None:
    fake.supports_json_schema = False
    summarize = summarizer(client)

    first = await summarize.summarize(PAPERS[0], "en")
    second = await summarize.summarize(PAPERS[1], "en")

    assert first.card.method == second.card.method == "llm"
    formats = [body["response_format"]["type"] for body in fake.requests]
    assert formats == ["json_schema", "json_object", "json_object"]


async def test_one_time_json_schema_rejection_is_survived(fake: FakeLLM, client) -> None:
    fake.script("reject_json_schema")
    result = await summarizer(client).summarize(SPARSEFLOW, "en")

    assert result.card.method == "llm"
    assert fake.statuses == [400, 200]


async def test_server_without_response_format_gets_plain_text_and_fenced_json_is_read(fake: FakeLLM, client) -> None:
    fake.supports_json_schema = fake.supports_response_format = False
    fake.default_mode = "fenced"
    result = await summarizer(client).summarize(SPARSEFLOW, "en")

    assert result.card.method == "llm"
    assert "response_format" not in fake.requests[-1]
    assert fake.calls == 3


async def test_server_wanting_max_completion_tokens_gets_it(fake: FakeLLM, client) -> None:
    fake.rejects_max_tokens = True
    result = await summarizer(client).summarize(SPARSEFLOW, "en")

    assert result.card.method == "llm"
    assert "max_completion_tokens" in fake.requests[-1] and "max_tokens" not in fake.requests[-1]


# --- invalid output and refusals ---------------------------------------------------------


@pytest.mark.parametrize("bad", ["invalid_json", "wrong_types"])
async def test_invalid_answer_is_repaired_once(fake: FakeLLM, client, bad: str) -> None:
    fake.script(bad, "valid")
    result = await summarizer(client).summarize(SPARSEFLOW, "en")

    assert result.card.method == "llm"
    assert fake.calls == 2
    repair = fake.requests[1]["messages"]
    assert [message["role"] for message in repair] == ["system", "user", "assistant", "user"]
    assert "corrected JSON" in repair[-1]["content"]
    assert result.prompt_tokens == fake.prompt_tokens  # both calls are counted


async def test_invalid_answer_twice_falls_back_to_extractive(fake: FakeLLM, client) -> None:
    fake.default_mode = "invalid_json"
    result = await summarizer(client).summarize(SPARSEFLOW, "en")

    assert result.card == summarize_extractive(SPARSEFLOW)
    assert result.card.method == "extractive" and result.model == "extractive"
    assert fake.calls == 2
    assert result.prompt_tokens == fake.prompt_tokens > 0  # spent even though unused


@pytest.mark.parametrize("mode", ["refusal", "refusal_text", "empty_card"])
async def test_refusal_falls_back_without_a_repair(fake: FakeLLM, client, mode: str) -> None:
    fake.default_mode = mode
    result = await summarizer(client).summarize(SPARSEFLOW, "zh")

    assert result.card.method == "extractive"
    assert result.card.one_liner == summarize_extractive(SPARSEFLOW).one_liner
    assert fake.calls == 1


# --- grounding ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_hallucinated_numbers_are_dropped(fake: FakeLLM, client, language: Language) -> None:
    fake.default_mode = "hallucinated_number"
    result = await summarizer(client).summarize(SPARSEFLOW, language)

    assert result.card.method == "llm"
    text = card_text(result.card)
    assert "41.7" not in text and "63%" not in text
    assert result.card.key_insight == ""
    assert any("16.2×" in item for item in result.card.results)  # the grounded result stays
    assert result.claims_dropped == 2 and result.claims_checked > result.claims_dropped


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_invented_benchmark_and_model_are_dropped(fake: FakeLLM, client, language: Language) -> None:
    fake.default_mode = "hallucinated_benchmark"
    result = await summarizer(client).summarize(SPARSEFLOW, language)

    text = card_text(result.card)
    assert "MMLU-Pro" not in text and "Llama-3-70B" not in text
    assert "LongBench" in text and "Llama-3-8B" in text
    assert result.claims_dropped == 2


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_card_losing_its_core_fields_falls_back(fake: FakeLLM, client, language: Language) -> None:
    fake.default_mode = "hallucinated_core"
    result = await summarizer(client).summarize(SPARSEFLOW, language)

    assert result.card.method == "extractive"
    assert result.card.one_liner == summarize_extractive(SPARSEFLOW).one_liner
    assert result.claims_dropped >= 2 and result.claims_checked >= result.claims_dropped
    assert result.prompt_tokens > 0


# --- API failures ------------------------------------------------------------------------


async def test_timeout_falls_back(fake: FakeLLM, client) -> None:
    fake.default_mode = "slow"
    result = await summarizer(client, timeout=0.3).summarize(SPARSEFLOW, "en")

    assert result.card.method == "extractive"
    assert result.prompt_tokens == 0


async def test_single_429_is_retried_by_the_sdk_honouring_retry_after(fake: FakeLLM, client) -> None:
    fake.retry_after = "0.05"
    fake.script("429")
    result = await summarizer(client, max_retries=1).summarize(SPARSEFLOW, "en")

    assert result.card.method == "llm"
    assert fake.statuses == [429, 200]


@pytest.mark.parametrize("mode", ["429", "500"])
async def test_persistent_rate_limit_or_server_error_falls_back(fake: FakeLLM, client, mode: str) -> None:
    fake.retry_after = "0.05"
    fake.default_mode = mode
    result = await summarizer(client, max_retries=1).summarize(SPARSEFLOW, "en")

    assert result.card.method == "extractive"
    assert fake.calls == 2  # one SDK retry, then give up


async def test_unreachable_server_falls_back() -> None:
    server = await FakeLLM().start()
    base_url = server.base_url
    await server.stop()
    client = openai.AsyncOpenAI(base_url=base_url, api_key="test")
    try:
        result = await summarizer(client, timeout=2).summarize(SPARSEFLOW, "en")
    finally:
        await client.close()
    assert result.card.method == "extractive"


async def test_one_papers_failure_leaves_the_others_alone(fake: FakeLLM, client) -> None:
    modes = ["valid", "invalid_json", "refusal", "500", "hallucinated_core", "hallucinated_number"]
    fake.by_paper = {paper.arxiv_id: mode for paper, mode in zip(PAPERS, modes, strict=True)}

    results = await asyncio.gather(*(summarizer(client).summarize(paper, "en") for paper in PAPERS))

    methods = [result.card.method for result in results]
    assert methods == ["llm", "extractive", "extractive", "extractive", "extractive", "llm"]


# --- cost ----------------------------------------------------------------------------------


async def test_concurrency_limit_is_honoured(fake: FakeLLM, client) -> None:
    fake.latency = 0.2
    summarize = summarizer(client, concurrency=2)

    results = await asyncio.gather(*(summarize.summarize(paper, "en") for paper in PAPERS))

    assert all(result.card.method == "llm" for result in results)
    assert fake.max_in_flight == 2


async def test_budget_for_two_papers_gives_the_rest_extractive_cards(fake: FakeLLM, client) -> None:
    probe = summarizer(client)
    papers = PAPERS[:5]
    budget = TokenBudget(sum(probe.estimate_tokens(paper, "en") for paper in papers[:2]) + 100)
    summarize = summarizer(client, budget=budget, concurrency=5)

    results = await asyncio.gather(*(summarize.summarize(paper, "en") for paper in papers))

    assert [result.card.method for result in results] == ["llm", "llm", "extractive", "extractive", "extractive"]
    assert results[2].card == summarize_extractive(papers[2])
    assert fake.calls == 2
    assert budget.refused == 3 and budget.reserved == 0
    assert (budget.prompt_tokens, budget.completion_tokens) == (fake.prompt_tokens, fake.completion_tokens)
    assert sum(result.prompt_tokens for result in results) == budget.prompt_tokens


async def test_server_reporting_no_usage_is_charged_an_estimate(fake: FakeLLM, client) -> None:
    fake.reports_usage = False
    budget = TokenBudget(None)
    result = await summarizer(client, budget=budget).summarize(SPARSEFLOW, "en")

    assert result.card.method == "llm"
    assert result.prompt_tokens > 0 and result.completion_tokens > 0
    assert budget.used == result.prompt_tokens + result.completion_tokens


async def test_with_budget_gives_each_digest_its_own_budget(fake: FakeLLM, client) -> None:
    shared = summarizer(client)
    first, second = TokenBudget(None), TokenBudget(0)

    ok = await shared.with_budget(first).summarize(PAPERS[0], "en")
    cut = await shared.with_budget(second).summarize(PAPERS[1], "en")

    assert ok.card.method == "llm" and cut.card.method == "extractive"
    assert first.used == fake.prompt_tokens + fake.completion_tokens and second.used == 0
    assert shared.budget is None


async def test_cache_key_follows_model_and_prompt_version(client, monkeypatch: pytest.MonkeyPatch) -> None:
    fallback = ExtractiveSummarizer()
    base = LLMSummarizer(client, "model-a", fallback=fallback).cache_key
    other_model = LLMSummarizer(client, "model-b", fallback=fallback).cache_key
    monkeypatch.setattr(llm_module, "PROMPT_VERSION", "card-99")
    new_prompt = LLMSummarizer(client, "model-a", fallback=fallback).cache_key

    assert base == ("model-a", PROMPT_VERSION)
    assert other_model == ("model-b", PROMPT_VERSION)
    assert new_prompt == ("model-a", "card-99")
    assert len({base, other_model, new_prompt}) == 3


async def test_fallback_result_is_not_under_the_llm_cache_key(fake: FakeLLM, client) -> None:
    fake.default_mode = "500"
    summarize = summarizer(client)
    result = await summarize.summarize(SPARSEFLOW, "en")

    assert (result.model, result.prompt_version) == ExtractiveSummarizer().cache_key
    assert (result.model, result.prompt_version) != summarize.cache_key


async def test_paper_without_abstract_is_still_summarized(fake: FakeLLM, client) -> None:
    bare = Paper(arxiv_id="2602.90009", title="A title only")
    assert summarizer(client).estimate_tokens(bare, "zh") > 0
    result = await summarizer(client).summarize(bare, "zh")
    assert result.card.method == "llm"
