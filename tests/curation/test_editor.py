"""The editor's calls on invented papers, with the shipped relevance model and the default taxonomy.

Every title and abstract here is written for the test (no real paper text): each paper type
the editor leaves out, the keyword false positives the issue names, and a process reward
model paper that must be found.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.bot.curation.paper_type import detect_type
from paperwire.bot.curation.select import curate
from paperwire.bot.curation.taxonomy import Taxonomy, load_taxonomy
from paperwire.bot.models import Curation, Paper
from paperwire.config.settings import DEFAULT_TOPICS_FILE

DAY = date(2026, 3, 3)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(DEFAULT_TOPICS_FILE)


def paper(arxiv_id: str, title: str, abstract: str, upvotes: int = 20, **fields: object) -> Paper:
    return Paper(arxiv_id, title, abstract=abstract, upvotes=upvotes,
                 published_at=datetime(2026, 3, 2, tzinfo=UTC), **fields)  # type: ignore[arg-type]


# Method papers in the focus topics: what a good day's picks are made of.
METHODS = [
    paper("2603.10001", "StepGuard: Monte Carlo Tree Search Labels for Training Process Reward Models in Math Reasoning",
          "Process reward models score each intermediate step of a chain of thought, but step labels are costly. "
          "We propose StepGuard, a divide-and-conquer Monte Carlo tree search that finds the first wrong step and "
          "automatically collects 1.2 million step-level supervision labels. A process reward model trained on them "
          "improves best-of-N verification and reinforcement learning of a 7B math reasoner, outperforming outcome "
          "reward models and human-annotated process supervision.", upvotes=3),
    paper("2603.10002", "ShardKV: Query-Aware KV Cache Eviction for Long-Context LLM Inference",
          "The key-value cache grows linearly with context length and dominates memory during long-context "
          "decoding. We propose ShardKV, a query-aware eviction policy that keeps the cache entries attended by "
          "recent queries and compresses the rest into low-bit shards. ShardKV reduces KV cache memory by 8x and "
          "speeds up decoding by 2.1x on 128K-token contexts with negligible accuracy loss."),
    paper("2603.10003", "Retry-RL: Multi-Turn Reinforcement Learning for Tool-Using LLM Agents with Turn-Level Credit",
          "LLM agents that call tools over many turns receive a single sparse reward at the end of an episode. We "
          "introduce Retry-RL, a multi-turn agentic reinforcement learning algorithm with turn-level credit "
          "assignment and a learned critic over tool-call outcomes. Trained agents solve 18% more web and terminal "
          "tasks than GRPO baselines and recover from failed tool calls."),
    paper("2603.10004", "GripFormer: A Vision-Language-Action Policy with Action Chunking for Dexterous Manipulation",
          "We propose GripFormer, a vision-language-action model that predicts chunks of continuous actions with a "
          "flow-based action expert on top of a pretrained vision-language backbone. On real-robot dexterous "
          "manipulation tasks GripFormer improves success by 23% over prior generalist robot policies."),
]


def curated(papers: list[Paper], taxonomy: Taxonomy) -> Curation:
    return curate(DAY, papers, taxonomy)


def decision(curation: Curation, arxiv_id: str) -> tuple[str, str]:
    """('pick', topic) or (exclusion kind, English reason)."""
    for pick in curation.picks:
        if pick.paper.arxiv_id == arxiv_id:
            return "pick", pick.topic
    for exclusion in curation.exclusions:
        if exclusion.paper.arxiv_id == arxiv_id:
            return exclusion.kind, exclusion.reason["en"]
    raise AssertionError(f"{arxiv_id} is neither picked nor excluded")


def test_method_papers_in_the_focus_topics_are_picked_in_their_topics(taxonomy: Taxonomy) -> None:
    curation = curated(METHODS, taxonomy)
    assert [decision(curation, p.arxiv_id) for p in METHODS] == [
        ("pick", "rlvr-alignment"), ("pick", "efficient-llm"), ("pick", "agentic-rl"), ("pick", "vla"),
    ]


def test_a_process_reward_model_is_found_even_with_few_upvotes(taxonomy: Taxonomy) -> None:
    """OmegaPRM-like: the taxonomy's words barely touch it, the model knows the field."""
    curation = curated(METHODS, taxonomy)
    (prm,) = [pick for pick in curation.picks if pick.paper.arxiv_id == "2603.10001"]
    assert prm.topic == "rlvr-alignment"


FALSE_POSITIVES = [
    ("2603.20001", "DANTurbo: A Lifelong Agent That Discovers Jailbreak Strategies Against Aligned Chatbots",
     "We present an attack agent that automatically discovers and combines jailbreak prompts against safety-tuned "
     "chatbots. The agent keeps a library of attack strategies and red-teams commercial chat models, reaching an "
     "attack success rate of 88% on harmful request sets. We discuss defenses for deployed chatbots."),
    ("2603.20002", "Anchored Queries: User-Side Retrieval Embeddings for Search Ranking",
     "Dense retrieval for web search ranks documents by embedding similarity. We treat each user query as an anchor "
     "and learn query embeddings from click logs; a kv cache of popular query embeddings serves repeated queries. "
     "Offline, our retrieval model improves NDCG on product search and advertisement ranking."),
    ("2603.20003", "Fewer Is Plenty: Data Selection for Reward Modeling in Chat Assistants",
     "We ask how much preference data reward modeling needs. Training reward models on subsets of public preference "
     "datasets, we find that a small curated subset matches the full data on reward benchmarks. We release the "
     "selected subsets and analyze which annotation sources matter most."),
    ("2603.20004", "PixelGRPO: Group Relative Policy Optimization for Text-to-Image Diffusion Models",
     "We fine-tune text-to-image diffusion models with group relative policy optimization. Sampled images are scored "
     "by aesthetic and prompt-alignment rewards, and denoising trajectories are updated with a GRPO objective. Our "
     "method improves image generation quality, FID and human preference on text-to-image benchmarks."),
]


@pytest.mark.parametrize(("arxiv_id", "title", "abstract"), FALSE_POSITIVES, ids=[
    "jailbreak-agent", "query-anchor-kv-cache", "reward-modeling-data", "image-generation-grpo"])
def test_keyword_false_positives_are_left_out_with_a_reason_in_words(
    arxiv_id: str, title: str, abstract: str, taxonomy: Taxonomy
) -> None:
    popular = paper(arxiv_id, title, abstract, upvotes=183)
    curation = curated([*METHODS, popular], taxonomy)
    kind, reason = decision(curation, arxiv_id)
    assert kind != "pick"
    assert "score" not in reason and reason
    assert len(curation.picks) == len(METHODS)


def test_image_generation_grpo_is_called_image_generation(taxonomy: Taxonomy) -> None:
    _, title, abstract = FALSE_POSITIVES[3]
    curation = curated([paper("2603.20004", title, abstract)], taxonomy)
    kind, reason = decision(curation, "2603.20004")
    assert (kind, reason.split(" (")[0]) == ("family", "off the focus topics: image/video generation")


TYPES = [
    ("technical-report", "Kestrel-9 Technical Report",
     "In this technical report we present Kestrel-9, a 40B mixture-of-experts language model trained on 20T tokens, "
     "with long context and tool use. We describe its data, architecture and post-training, and release the weights."),
    ("technical-report", "Falconet: An Open Bilingual Model Series",
     "We introduce Falconet-2, a family of open-weight bilingual models from 1B to 70B parameters. We report the "
     "pretraining corpus, the training recipe and evaluations across reasoning, coding and agentic benchmarks."),
    ("survey", "Agentic Reinforcement Learning for LLMs: A Survey",
     "This survey reviews reinforcement learning methods for large language model agents. We organize existing work "
     "on tool use, web agents and multi-turn credit assignment into a taxonomy, and discuss open challenges."),
    ("survey", "Position: World Models Are the Next Frontier for Agents",
     "This position paper argues that agents need world models for planning. We call for shared environments and "
     "evaluation protocols, and outline a research agenda for the community."),
    ("benchmark-dataset", "LongKVBench: Evaluating KV Cache Compression Under Long-Context Workloads",
     "We introduce LongKVBench, a benchmark of 12 long-context tasks for evaluating KV cache compression methods. "
     "Evaluating 15 methods, we find that no single method dominates across tasks."),
    ("user-study", "Agentic Copilots on the Road: How Drivers Trust In-Car Assistants",
     "We conducted a user study with 45 drivers (N=45) in a driving simulator to understand how drivers trust an "
     "agentic in-car voice assistant. Semi-structured interviews reveal that transparency about actions increases "
     "trust; we derive design implications for in-car agents."),
    ("policy-risk", "Compute Governance for Frontier AI: A Risk Report",
     "We assess catastrophic risks from frontier AI systems and review governance mechanisms available to "
     "policymakers, including compute thresholds and reporting duties. We recommend regulatory measures."),
    ("analysis", "Understanding Why Reinforcement Learning Shortens Reasoning Chains",
     "We investigate how reinforcement learning with verifiable rewards changes the length of reasoning chains. "
     "Across model sizes and tasks we find that length shrinks once rewards saturate, and we characterize when it "
     "grows. Our analysis explains earlier observations."),
]


@pytest.mark.parametrize(("kind", "title", "abstract"), TYPES, ids=[t[0] + "-" + str(n) for n, t in enumerate(TYPES)])
def test_each_paper_type_is_read_and_excluded_with_its_own_reason(
    kind: str, title: str, abstract: str, taxonomy: Taxonomy
) -> None:
    item = paper("2603.30001", title, abstract, upvotes=400)
    assert detect_type(item).id == kind
    curation = curated([*METHODS, item], taxonomy)
    excluded, reason = decision(curation, "2603.30001")
    assert excluded == "paper_type"
    assert reason.startswith(taxonomy.family(kind).reason["en"])
    (exclusion,) = [e for e in curation.exclusions if e.paper.arxiv_id == "2603.30001"]
    assert exclusion.family == kind
    assert exclusion.reason["zh"].startswith(taxonomy.family(kind).reason["zh"])


def test_a_benchmark_reason_names_its_topic(taxonomy: Taxonomy) -> None:
    _, title, abstract = TYPES[4]
    curation = curated([paper("2603.30001", title, abstract)], taxonomy)
    assert decision(curation, "2603.30001") == ("paper_type", "a benchmark or dataset, not a new method (Efficient LLM)")


def test_method_papers_are_not_read_as_another_type() -> None:
    assert [detect_type(item).id for item in METHODS] == ["method"] * len(METHODS)


def test_a_type_the_taxonomy_does_not_exclude_is_judged_as_a_paper(taxonomy: Taxonomy) -> None:
    kept = replace(taxonomy, families=tuple(f for f in taxonomy.families if f.id != "benchmark-dataset"))
    _, title, abstract = TYPES[4]
    curation = curated([paper("2603.30001", title, abstract)], kept)
    kind, _ = decision(curation, "2603.30001")
    assert kind != "paper_type"


def test_a_weak_day_gets_no_picks_rather_than_six(taxonomy: Taxonomy) -> None:
    weak = [paper(f"2603.4000{n}", title, abstract) for n, (_, title, abstract) in enumerate(TYPES)]
    weak += [paper(f"2603.5000{n}", title, abstract) for n, (_, title, abstract) in enumerate(FALSE_POSITIVES)]
    curation = curated(weak, taxonomy)
    assert curation.picks == []
    assert len(curation.exclusions) == len(weak)
    assert all("score" not in e.reason["en"] and e.reason["zh"] for e in curation.exclusions)


def test_three_stars_only_at_must_level_confidence(taxonomy: Taxonomy) -> None:
    curation = curated(METHODS, taxonomy)
    assert all(pick.stars in (2, 3) for pick in curation.picks)
    weak_day = curated([paper("2603.60001", "Some Notes on Tokenizers", "We describe tokenizers.")], taxonomy)
    assert all(pick.stars == 2 for pick in weak_day.picks)


POOL = METHODS + [paper(f"2603.7000{n}", t, a) for n, (_, t, a) in enumerate(TYPES)] + [
    paper(f"2603.8000{n}", t, a) for n, (_, t, a) in enumerate(FALSE_POSITIVES)
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=3000), min_size=len(POOL), max_size=len(POOL)),
    st.integers(min_value=1, max_value=6),
    st.sampled_from([0.5, 1.5]),
)
def test_scaling_every_upvote_count_changes_at_most_one_pick(upvotes: list[int], max_papers: int, factor: float) -> None:
    taxonomy = load_taxonomy(DEFAULT_TOPICS_FILE)
    day = [replace(item, upvotes=count) for item, count in zip(POOL, upvotes, strict=True)]
    scaled = [replace(item, upvotes=round(item.upvotes * factor)) for item in day]
    before = {p.paper.arxiv_id for p in curate(DAY, day, taxonomy, max_papers=max_papers).picks}
    after = {p.paper.arxiv_id for p in curate(DAY, scaled, taxonomy, max_papers=max_papers).picks}
    assert len(before) == len(after)
    assert len(before - after) <= 1


def test_popularity_never_lifts_an_excluded_paper_over_a_method(taxonomy: Taxonomy) -> None:
    famous = [replace(item, upvotes=5000) for item in POOL if item not in METHODS]
    quiet = [replace(item, upvotes=0) for item in METHODS]
    curation = curated(quiet + famous, taxonomy)
    assert {p.paper.arxiv_id for p in curation.picks} == {item.arxiv_id for item in METHODS}
