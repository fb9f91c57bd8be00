"""A chat's taste: votes stored once per member, learned, and re-ranking only that chat's picks."""

from __future__ import annotations

from datetime import date

from paperwire.bot.curation.taste import RANKED_DOWN, learn_taste, rerank_for_chat
from paperwire.bot.models import Curation, Paper, Pick
from paperwire.bot.similar.lsa import shipped_model
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store import votes as vote_store
from paperwire.bot.store.database import Database

DAY = date(2026, 2, 20)
TOPICS = ("agentic-rl", "efficient-llm", "vla", "world-models", "rlvr-alignment", "multi-agent")


def paper(arxiv_id: str, title: str, abstract: str, topic: str) -> Paper:
    return Paper(arxiv_id=arxiv_id, title=title, abstract=abstract, list_day=DAY, topics=[topic])


KV = paper("2602.00001", "KV cache quantization for serving", "We quantize the KV cache for long-context inference.", "efficient-llm")
SPEC = paper("2602.00002", "Speculative decoding at scale", "Faster LLM inference with draft models and sparse attention.", "efficient-llm")
AGENT = paper("2602.00003", "RL for web agents", "We train web agents with reinforcement learning on browsing tasks.", "agentic-rl")
TOOLS = paper("2602.00004", "Tool-use agents with RL", "Multi-turn reinforcement learning for tool-calling LLM agents.", "agentic-rl")
GRPO = paper("2602.00005", "GRPO for math reasoning", "Verifiable rewards improve reasoning with group policy optimization.", "rlvr-alignment")


def curation() -> Curation:
    picks = [Pick(AGENT, "agentic-rl", 9.0, 3, 1), Pick(TOOLS, "agentic-rl", 8.0, 2, 2), Pick(GRPO, "rlvr-alignment", 7.0, 2, 3)]
    candidates = [Pick(KV, "efficient-llm", 6.5, 2, 4), Pick(SPEC, "efficient-llm", 6.0, 2, 5)]
    return Curation(list_day=DAY, picks=picks, exclusions=[], candidates=candidates)


def test_without_votes_the_chat_gets_the_global_picks() -> None:
    chosen, ranked_down = rerank_for_chat(
        curation(), learn_taste([], shipped_model(), TOPICS), shipped_model(), TOPICS, max_papers=6, per_topic_cap=3
    )
    assert [pick.paper.arxiv_id for pick in chosen] == ["2602.00003", "2602.00004", "2602.00005"]
    assert ranked_down == []


def test_votes_lift_the_liked_kind_and_rank_down_the_disliked_one() -> None:
    model = shipped_model()
    earlier = [
        (paper("2601.00001", "KV cache eviction", "Evicting KV cache entries for long context.", "efficient-llm"), 1),
        (paper("2601.00002", "Quantized attention kernels", "Low-bit attention for faster inference.", "efficient-llm"), 1),
        (paper("2601.00003", "Agents that browse", "Reinforcement learning for web browsing agents.", "agentic-rl"), -1),
        (paper("2601.00004", "Agents with tools", "RL-trained tool-using LLM agents.", "agentic-rl"), -1),
        (paper("2601.00005", "Reasoning RL", "Verifiable rewards for math reasoning.", "rlvr-alignment"), -1),
        (paper("2601.00006", "Serving LLMs cheaply", "Speculative decoding and batching for serving.", "efficient-llm"), 1),
    ]
    taste = learn_taste(earlier, model, TOPICS)
    assert taste.votes == 6 and taste.topics["efficient-llm"] > 0 > taste.topics["agentic-rl"]
    assert taste.liked_terms and taste.disliked_terms
    chosen, ranked_down = rerank_for_chat(curation(), taste, model, TOPICS, max_papers=6, per_topic_cap=3)
    ids = [pick.paper.arxiv_id for pick in chosen]
    assert ids[:2] == ["2602.00001", "2602.00002"] or set(ids[:2]) == {"2602.00001", "2602.00002"}
    assert "2602.00003" not in ids and "2602.00004" not in ids
    assert {item.paper.arxiv_id for item in ranked_down} >= {"2602.00003", "2602.00004"}
    assert all(item.kind == "taste" and item.reason == RANKED_DOWN for item in ranked_down)


def test_the_picked_topic_decides_and_a_disliked_strong_pick_stays_out() -> None:
    """The chat voted on what it saw (the pick's topic), whatever topics the store gave the paper."""
    model = shipped_model()
    stored_elsewhere = [Pick(Paper(p.arxiv_id, p.title, p.abstract, topics=[]), t, s, st, r)
                        for p, t, s, st, r in [(AGENT, "agentic-rl", 9.9, 3, 1), (KV, "efficient-llm", 5.0, 2, 2)]]
    day = Curation(list_day=DAY, picks=stored_elsewhere, exclusions=[], candidates=[])
    voted = [
        (paper("2601.00001", "KV cache eviction", "Evicting KV cache entries for long context.", "efficient-llm"), 1),
        (paper("2601.00003", "Agents that browse", "Reinforcement learning for web browsing agents.", "agentic-rl"), -1),
        (paper("2601.00004", "Agents with tools", "RL-trained tool-using LLM agents.", "agentic-rl"), -1),
    ]
    chosen, ranked_down = rerank_for_chat(day, learn_taste(voted, model, TOPICS), model, TOPICS, max_papers=6, per_topic_cap=3)
    assert [pick.paper.arxiv_id for pick in chosen] == ["2602.00001"]
    assert [item.paper.arxiv_id for item in ranked_down] == ["2602.00003"]


def test_a_chat_that_only_disliked_still_gets_picks() -> None:
    model = shipped_model()
    voted = [(paper("2601.00005", "Reasoning RL", "Verifiable rewards for math reasoning.", "rlvr-alignment"), -1)]
    chosen, _ = rerank_for_chat(curation(), learn_taste(voted, model, TOPICS), model, TOPICS, max_papers=6, per_topic_cap=3)
    assert {pick.paper.arxiv_id for pick in chosen} >= {"2602.00003", "2602.00004"}


async def test_votes_count_each_member_once_and_the_last_vote_stands(db: Database) -> None:
    async with db.begin() as connection:
        await paper_store.upsert_papers(connection, [KV, AGENT])
        await vote_store.record_vote(connection, "telegram", "-100", "alice", KV.arxiv_id, 1)
        await vote_store.record_vote(connection, "telegram", "-100", "alice", KV.arxiv_id, 1)  # repeated
        await vote_store.record_vote(connection, "telegram", "-100", "bob", KV.arxiv_id, 1)
        await vote_store.record_vote(connection, "telegram", "-100", "alice", AGENT.arxiv_id, 1)
        await vote_store.record_vote(connection, "telegram", "-100", "alice", AGENT.arxiv_id, -1)  # changed her mind
        await vote_store.record_vote(connection, "slack", "C1", "alice", AGENT.arxiv_id, 1)  # another chat
    async with db.connect() as connection:
        assert await vote_store.chat_votes(connection, "telegram", "-100") == {KV.arxiv_id: 2, AGENT.arxiv_id: -1}
    async with db.begin() as connection:
        assert await vote_store.forget_votes(connection, "telegram", "-100") == 3
    async with db.connect() as connection:
        assert await vote_store.chat_votes(connection, "telegram", "-100") == {}
        assert await vote_store.chat_votes(connection, "slack", "C1") == {AGENT.arxiv_id: 1}
