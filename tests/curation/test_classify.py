"""Keyword classification: what a paper is about, from its title, abstract and ai_keywords."""

from __future__ import annotations

import pytest

from paperwire.bot.curation.classify import (
    ABSTRACT_WEIGHT,
    KEYWORDS_WEIGHT,
    TITLE_WEIGHT,
    TOPIC_THRESHOLD,
    classify,
    topics_for,
)
from paperwire.bot.curation.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy
from paperwire.bot.models import Paper
from paperwire.config.settings import DEFAULT_TOPICS_FILE

TINY = """\
[[topic]]
id = "efficiency"
name = { en = "Efficiency", zh = "效率" }
keywords = ["kv cache", "moe", "speculative decoding", "ppo", "vla", "quantization", "pruning"]
negative = ["diffusion model"]

[[topic]]
id = "world"
name = { en = "World models", zh = "世界模型" }
keywords = ["world model", "世界模型", "embodied", "embodied ai"]

[[family]]
id = "bench"
kind = "paper_type"
name = { en = "Benchmark", zh = "基准" }
keywords = ["leaderboard"]
title_keywords = ["*bench", "benchmark"]
reason = { en = "a benchmark", zh = "基准" }
"""


def paper(
    title: str, abstract: str = "", keywords: tuple[str, ...] = (), **fields: object
) -> Paper:
    return Paper(
        arxiv_id=str(fields.pop("arxiv_id", "2602.00001")),
        title=title,
        abstract=abstract,
        ai_keywords=list(keywords),
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def default() -> Taxonomy:
    return load_taxonomy(DEFAULT_TOPICS_FILE)


@pytest.fixture(scope="module")
def tiny() -> Taxonomy:
    return parse_taxonomy(TINY, "tiny.toml")


INVENTED = [
    (
        paper(
            "Self-Play Curricula for Tool-Using LLM Agents",
            "We train LLM agents with multi-turn reinforcement learning on tasks that need tool "
            "calling over long horizons, improving success on a web agent suite by 9.1%.",
            ("LLM agents", "tool use", "multi-turn RL"),
        ),
        "agentic-rl",
        None,
    ),
    (
        paper(
            "Tree Drafts: Faster Speculative Decoding for Long-Context Serving",
            "A draft model proposes a token tree; batched verification cuts latency 2.4x.",
            ("speculative decoding", "draft model", "latency"),
        ),
        "efficient-llm",
        None,
    ),
    (
        paper(
            "A Vision-Language-Action Policy that Learns from Play Data",
            "Our VLA model predicts action chunks for robotic manipulation from 30 hours of play.",
            ("vision-language-action", "robotic manipulation", "action chunking"),
        ),
        "vla",
        None,
    ),
    (
        paper(
            "Latent World Models Keep Long Rollouts Consistent",
            "A world model with latent dynamics predicts 60 seconds ahead with 37% less drift.",
            ("world model", "latent dynamics"),
        ),
        "world-models",
        None,
    ),
    (
        paper(
            "RLVR Beyond Math: Verifiable Rewards from Unit Tests",
            "We apply GRPO with verifiable rewards from unit tests and reduce reward hacking.",
            ("RLVR", "GRPO", "verifiable rewards"),
        ),
        "rlvr-alignment",
        None,
    ),
    (
        paper(
            "Who Speaks Next? Learned Schedules for Multi-Agent Debate",
            "A chair model schedules multi-agent debate and cuts agent communication by 40%.",
            ("multi-agent debate", "multi-agent systems"),
        ),
        "multi-agent",
        None,
    ),
    (
        paper(
            "Sharper Text-to-Image Diffusion with Frequency Guidance",
            "A diffusion model for image generation with a new guidance term lowers FID by 1.2.",
            ("text-to-image", "diffusion model", "image generation"),
        ),
        None,
        "diffusion-generation",
    ),
    (
        paper(
            "Osprey-3 Technical Report",
            "This technical report describes an open-weight mixture-of-experts model family.",
            ("mixture-of-experts", "open-weight model"),
        ),
        "efficient-llm",
        "technical-report",
    ),
    (
        paper(
            "HarborBench: A Benchmark for Coding Agents in Legacy Repositories",
            "We introduce a new benchmark of 900 tasks and a public leaderboard for coding agents.",
            ("benchmark", "coding agents", "leaderboard"),
        ),
        "agentic-rl",
        "benchmark-dataset",
    ),
    (
        paper("On the Meter of Late Medieval Poetry", "We count syllables in 4,000 stanzas."),
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("item", "topic", "family"), INVENTED, ids=lambda value: getattr(value, "title", value)
)
def test_invented_papers_land_where_an_editor_would_put_them(
    default: Taxonomy, item: Paper, topic: str | None, family: str | None
) -> None:
    result = classify(item, default)
    assert result.topic == topic
    assert result.family == family
    if family is not None and result.family_wins:
        assert topics_for(item, default) == []
    elif topic is not None:
        assert topics_for(item, default)[0] == topic


def test_a_family_named_in_the_title_wins_over_the_topic(default: Taxonomy) -> None:
    report = INVENTED[7][0]
    result = classify(report, default)
    assert result.family_wins
    assert result.family_score > result.topic_score >= TOPIC_THRESHOLD


def test_fields_weigh_title_over_keywords_over_abstract(tiny: Taxonomy) -> None:
    in_title = classify(paper("Pruning at scale"), tiny).topic_scores["efficiency"]
    in_keywords = classify(paper("x", keywords=("pruning",)), tiny).topic_scores["efficiency"]
    in_abstract = classify(paper("x", "We use pruning."), tiny).topic_scores["efficiency"]
    assert (in_title, in_keywords, in_abstract) == (TITLE_WEIGHT, KEYWORDS_WEIGHT, ABSTRACT_WEIGHT)


def test_matching_ignores_case_separators_and_plurals(tiny: Taxonomy) -> None:
    for title in ("KV-Cache reuse", "kv cache reuse", "KVCache reuse", "KV caches", "MoEs", "PPO"):
        assert classify(paper(title), tiny).topic == "efficiency", title


def test_matching_respects_word_boundaries(tiny: Taxonomy) -> None:
    for title in ("A moment of support", "Vladimir's ppoetry", "Quantizationally", "moebius"):
        result = classify(paper(title), tiny)
        assert result.topic_scores["efficiency"] == 0.0, title
        assert result.matched == {}


def test_distinct_keywords_add_with_diminishing_returns(tiny: Taxonomy) -> None:
    def score(abstract: str) -> float:
        return classify(paper("x", abstract), tiny).topic_scores["efficiency"]

    one, two = score("quantization"), score("quantization and pruning")
    four = score("quantization, pruning, moe, kv cache")
    assert one < two < four < 4 * one
    assert two - one > four - two - 0.5  # each extra keyword adds less than the one before


def test_a_repeated_keyword_adds_a_little_and_then_nothing(tiny: Taxonomy) -> None:
    def score(abstract: str) -> float:
        return classify(paper("x", abstract), tiny).topic_scores["efficiency"]

    assert score("pruning") < score("pruning pruning") < score("pruning pruning pruning")
    assert score("pruning " * 3) == score("pruning " * 300)


def test_negative_keywords_lower_a_match_without_forbidding_it(tiny: Taxonomy) -> None:
    plain = classify(paper("Quantization and pruning for faster serving"), tiny)
    lowered = classify(paper("Quantization and pruning of a diffusion model"), tiny)
    assert 0 < lowered.topic_scores["efficiency"] < plain.topic_scores["efficiency"]
    assert lowered.topic == "efficiency"
    only_negative = classify(paper("A diffusion model"), tiny)
    assert only_negative.topic_scores["efficiency"] == 0.0


def test_title_keywords_count_only_in_the_title(tiny: Taxonomy) -> None:
    titled = classify(paper("AgentBench: agents at work"), tiny)
    assert titled.family == "bench" and titled.matched["bench"] == ["*bench"]
    in_abstract = classify(paper("Agents at work", "We report results on AgentBench."), tiny)
    assert in_abstract.family is None
    assert classify(paper("Agents", "", ("benchmark",)), tiny).family is None


def test_a_longer_keyword_swallows_the_shorter_one_it_contains(tiny: Taxonomy) -> None:
    result = classify(paper("Embodied AI at home"), tiny)
    assert result.matched["world"] == ["embodied ai"]
    assert result.topic_scores["world"] == TITLE_WEIGHT


def test_keywords_in_chinese_match_without_spaces(tiny: Taxonomy) -> None:
    result = classify(paper("基于世界模型的规划方法"), tiny)
    assert result.topic == "world" and result.matched["world"] == ["世界模型"]


def test_hf_summary_counts_with_the_abstract(tiny: Taxonomy) -> None:
    result = classify(paper("x", "", ai_summary="It applies pruning and quantization."), tiny)
    assert result.matched["efficiency"] == ["pruning", "quantization"]  # in order of appearance


HOSTILE_TITLE = (
    "<script>alert(1)</script> & <b>World Model</b> \u202eredro\u202c "
    "نموذج العالم 🤖🧠 &amp; \x00 {score} %s"
)


def test_a_hostile_title_is_just_text(default: Taxonomy, tiny: Taxonomy) -> None:
    hostile = paper(HOSTILE_TITLE, "Emoji 🤖 and RTL \u202e text around a world model.")
    assert classify(hostile, tiny).topic == "world"
    result = classify(hostile, default)
    assert result.topic == "world-models"
    assert hostile.title == HOSTILE_TITLE  # classification never rewrites the paper


def test_a_5000_character_abstract_is_classified(default: Taxonomy) -> None:
    sentence = (
        "We study sparse attention and KV cache quantization for long-context inference, "
        "with 🤖 emoji, <tags> & ampersands, and numbers like 12.4% along the way. "
    )
    abstract = (sentence * (5000 // len(sentence) + 1))[:5000]
    assert len(abstract) == 5000
    result = classify(paper("A long abstract", abstract), default)
    assert result.topic == "efficient-llm"
    assert {"sparse attention", "kv cache", "quantization"} <= set(result.matched["efficient-llm"])
    # Repetition is capped: a long abstract does not outscore a focused title.
    focused = classify(paper("Sparse Attention with KV Cache Quantization"), default)
    assert result.topic_scores["efficient-llm"] < focused.topic_scores["efficient-llm"] * 1.5


def test_empty_and_odd_papers_do_not_break_it(default: Taxonomy) -> None:
    empty = classify(paper(""), default)
    assert empty.topic is None and empty.family is None and empty.matched == {}
    odd = paper("   ", "\n\t", ("", "   "), ai_summary="")
    assert classify(odd, default).topic is None


def test_topics_for_lists_every_passing_topic_best_first(default: Taxonomy) -> None:
    both = paper(
        "Training Web Agents inside a Learned World Model",
        "Web agents learn in a world model with latent dynamics and model-based RL.",
        ("world model", "latent dynamics", "web agents"),
    )
    result = classify(both, default)
    assert topics_for(both, default) == sorted(
        (t for t, s in result.topic_scores.items() if s >= TOPIC_THRESHOLD),
        key=lambda t: -result.topic_scores[t],
    )
    assert set(topics_for(both, default)) == {"world-models", "agentic-rl"}


def test_the_same_paper_always_gets_the_same_scores(default: Taxonomy) -> None:
    item = INVENTED[0][0]
    assert classify(item, default) == classify(item, default)
