"""The optional curation judge: one batched call, advice merged into rule scores, None on failure."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import openai
import pytest

from paperwire.bot.summarize.budget import TokenBudget
from paperwire.bot.summarize.judge import JudgeVerdict, judge_day, merge_judgement
from paperwire.bot.summarize.llm import ServerDialect, TokenUsage
from tests.fakes.llm import FakeLLM, invented_papers

PAPERS = invented_papers()
TOPICS = ["efficient-llm", "agentic-rl", "world-models"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


@pytest.fixture
async def client(fake: FakeLLM) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


async def test_one_call_judges_the_whole_day(fake: FakeLLM, client) -> None:
    usage = TokenUsage()
    verdicts = await judge_day(client, "fake-model", PAPERS, TOPICS, usage=usage)

    assert verdicts is not None and set(verdicts) == {paper.arxiv_id for paper in PAPERS}
    assert fake.calls == 1
    assert fake.requests[0]["response_format"]["json_schema"]["name"] == "curation_verdicts"
    user = fake.requests[0]["messages"][1]["content"]
    assert all(f"[{paper.arxiv_id}] {paper.title}" in user for paper in PAPERS)
    world = verdicts["2602.90003"]  # "A World Model for Embodied Planning"
    assert world.topic == "world-models" and world.keep
    assert world.reason == {"en": "fits world-models", "zh": "符合 world-models"}
    assert usage.prompt_tokens == fake.prompt_tokens > 0


async def test_json_object_server_is_served_too(fake: FakeLLM, client) -> None:
    fake.supports_json_schema = False
    dialect = ServerDialect()
    verdicts = await judge_day(client, "fake-model", PAPERS, TOPICS, dialect=dialect)

    assert verdicts is not None
    assert dialect.format_level == 1
    assert fake.requests[-1]["response_format"] == {"type": "json_object"}


async def test_unknown_ids_are_ignored_and_unknown_topics_cleared(fake: FakeLLM, client) -> None:
    answer = {
        "verdicts": [
            {"arxiv_id": "2602.90001", "topic": "quantum-cooking", "keep": True, "reason_en": "x" * 500},
            {"arxiv_id": "9999.99999", "topic": "vla", "keep": True, "reason_en": "not today's", "reason_zh": ""},
            {"arxiv_id": "2602.90002", "topic": "none", "keep": False, "reason_en": "a user study", "reason_zh": ""},
        ]
    }
    fake.say(json.dumps(answer))
    verdicts = await judge_day(client, "fake-model", PAPERS, TOPICS)

    assert verdicts is not None and set(verdicts) == {"2602.90001", "2602.90002"}
    assert verdicts["2602.90001"].topic is None and len(verdicts["2602.90001"].reason_en) <= 200
    assert verdicts["2602.90002"].reason == {"en": "a user study", "zh": "a user study"}


@pytest.mark.parametrize("mode", ["500", "429", "invalid_json", "refusal", "refusal_text", "slow"])
async def test_any_failure_gives_none(fake: FakeLLM, mode: str) -> None:
    fake.default_mode = mode
    fake.retry_after = "0.05"
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0, timeout=0.3)
    try:
        assert await judge_day(client, "fake-model", PAPERS, TOPICS) is None
    finally:
        await client.close()


async def test_answer_about_other_papers_gives_none(fake: FakeLLM, client) -> None:
    fake.say(json.dumps({"verdicts": [{"arxiv_id": "1111.11111", "topic": "none", "keep": False}]}))
    assert await judge_day(client, "fake-model", PAPERS, TOPICS) is None


async def test_exhausted_budget_gives_none_without_a_call(fake: FakeLLM, client) -> None:
    assert await judge_day(client, "fake-model", PAPERS, TOPICS, budget=TokenBudget(10)) is None
    assert fake.calls == 0


async def test_no_papers_needs_no_call(fake: FakeLLM, client) -> None:
    assert await judge_day(client, "fake-model", [], TOPICS) == {}
    assert fake.calls == 0


def verdict(arxiv_id: str, keep: bool) -> JudgeVerdict:
    return JudgeVerdict(arxiv_id=arxiv_id, keep=keep, topic=None, reason_en="r")


def test_merge_nudges_rule_scores_and_never_resurrects() -> None:
    scores = {"a": 2.0, "b": 2.0, "c": 0.0, "d": 1.0}
    merged = merge_judgement(scores, {"a": verdict("a", True), "b": verdict("b", False), "c": verdict("c", True)})

    assert merged == {"a": pytest.approx(2.6), "b": pytest.approx(1.4), "c": 0.0, "d": 1.0}


def test_merge_without_verdicts_keeps_the_rules() -> None:
    scores = {"a": 0.5, "b": 0.25}
    assert merge_judgement(scores, None) == scores
    assert merge_judgement(scores, {}) == scores


def test_merge_weight_is_bounded() -> None:
    with pytest.raises(ValueError):
        merge_judgement({"a": 1.0}, None, weight=1.5)
