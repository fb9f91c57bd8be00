"""The optional curation judge: one batched call whose keep or drop stands, rules excepted; None on failure."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import openai
import pytest

from paperwire.bot.summarize.budget import TokenBudget
from paperwire.bot.models import Curation, Exclusion, Pick
from paperwire.bot.summarize.base import LLMSpend
from paperwire.bot.summarize.judge import JudgeReport, JudgeVerdict, apply_verdicts, judge_day
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


def verdict(arxiv_id: str, keep: bool, topic: str | None = None) -> JudgeVerdict:
    return JudgeVerdict(arxiv_id=arxiv_id, keep=keep, topic=topic, reason_en=f"because {arxiv_id}", reason_zh=f"因为 {arxiv_id}")


def rule_day() -> Curation:
    """A day as the rules left it: two picks, two near misses, a family, a no-topic paper."""
    p = {paper.arxiv_id[-1]: paper for paper in PAPERS}
    return Curation(
        list_day=date(2026, 2, 20),
        picks=[
            Pick(p["1"], topic="efficient-llm", score=6.0, stars=3, rank=1),
            Pick(p["2"], topic="agentic-rl", score=5.0, stars=2, rank=2),
        ],
        candidates=[Pick(p["4"], topic="efficient-llm", score=3.0, stars=2, rank=3)],
        exclusions=[
            Exclusion(p["4"], "below_cut", {"en": "below the cut", "zh": "低于入选线"}, score=3.0, topic="efficient-llm"),
            Exclusion(p["3"], "family", {"en": "image generation", "zh": "图像生成"}, score=0.0, family="diffusion"),
            Exclusion(p["5"], "paper_type", {"en": "a user study", "zh": "用户研究"}, score=0.0, topic="multi-agent"),
            Exclusion(p["6"], "no_topic", {"en": "no configured topic matched", "zh": "未匹配"}, score=1.0),
        ],
    )


def ids(picks: list[Pick]) -> list[str]:
    return [pick.paper.arxiv_id for pick in picks]


def test_keep_and_drop_stand_with_the_reason_recorded() -> None:
    verdicts = {
        "2602.90001": verdict("2602.90001", False),  # a rule pick the judge drops
        "2602.90004": verdict("2602.90004", True),  # below the cut, kept
        "2602.90006": verdict("2602.90006", True, "rlvr-alignment"),  # no topic by the rules, kept
    }
    judged = apply_verdicts(rule_day(), verdicts, max_papers=6, per_topic_cap=3)

    assert ids(judged.picks) == ["2602.90002", "2602.90004", "2602.90006"]
    assert [pick.rank for pick in judged.picks] == [1, 2, 3]
    assert judged.picks[2].topic == "rlvr-alignment"
    dropped = next(e for e in judged.exclusions if e.paper.arxiv_id == "2602.90001")
    assert dropped.kind == "judge"
    assert dropped.reason == {"en": "the judge: because 2602.90001", "zh": "评审：因为 2602.90001"}
    assert "2602.90004" not in {e.paper.arxiv_id for e in judged.exclusions}  # its rule exclusion is gone
    assert judged.candidates == []


def test_type_and_family_rules_still_exclude() -> None:
    verdicts = {pid: verdict(pid, True, "multi-agent") for pid in ("2602.90003", "2602.90005")}
    judged = apply_verdicts(rule_day(), verdicts, max_papers=6, per_topic_cap=3)

    assert ids(judged.picks) == ["2602.90001", "2602.90002"]  # the rule picks, unjudged, stand
    kinds = {e.paper.arxiv_id: e.kind for e in judged.exclusions}
    assert kinds["2602.90003"] == "family" and kinds["2602.90005"] == "paper_type"


def test_papers_the_judge_left_out_keep_the_rules_decision() -> None:
    day = rule_day()
    judged = apply_verdicts(day, {"2602.90006": verdict("2602.90006", False)}, max_papers=6, per_topic_cap=3)

    assert ids(judged.picks) == ids(day.picks)
    assert ids(judged.candidates) == ["2602.90004"]
    assert {e.paper.arxiv_id: e.kind for e in judged.exclusions}["2602.90006"] == "judge"


def test_more_keeps_than_places_fill_best_first_and_say_why_the_rest_wait() -> None:
    verdicts = {pid: verdict(pid, True, "efficient-llm") for pid in ("2602.90001", "2602.90004", "2602.90006")}
    judged = apply_verdicts(rule_day(), verdicts, max_papers=2, per_topic_cap=3)

    assert ids(judged.picks) == ["2602.90001", "2602.90002"]
    waiting = {e.paper.arxiv_id: e for e in judged.exclusions if e.kind == "below_cut"}
    assert set(waiting) == {"2602.90004", "2602.90006"}
    assert waiting["2602.90004"].reason["en"].startswith("kept by the judge")
    assert ids(judged.candidates) == ["2602.90004", "2602.90006"]

    capped = apply_verdicts(rule_day(), verdicts, max_papers=6, per_topic_cap=1)
    assert ids(capped.picks) == ["2602.90001", "2602.90002"]
    assert {e.kind for e in capped.exclusions if e.paper.arxiv_id in {"2602.90004", "2602.90006"}} == {"topic_cap"}


def test_the_record_keeps_verdicts_and_spend() -> None:
    report = JudgeReport({"2602.90001": verdict("2602.90001", False)}, LLMSpend(1, 900, 120))
    record = report.record()
    assert record["judge_calls"] == 1 and record["judge_prompt_tokens"] == 900
    assert record["verdicts"]["2602.90001"]["keep"] is False
    assert record["verdicts"]["2602.90001"]["reason_zh"] == "因为 2602.90001"
    assert JudgeReport(None, LLMSpend(1, 10, 0)).record()["verdicts"] is None
