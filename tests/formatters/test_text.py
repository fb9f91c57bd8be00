"""The shared text helpers: cleaning, cutting, short names and trend sentences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.bot.models import Language, TopicTrend
from paperwire.formatters.labels import label
from paperwire.formatters.text import format_count, join_list, one_line, short_name, trend_observations, truncate
from tests.formatters.conftest import make_digest, make_entry

# ---------------------------------------------------------------- one_line


def test_one_line_collapses_whitespace_and_drops_control_characters() -> None:
    assert one_line("  a\nb\r\n\tc\u2028d\x85e  ") == "a b c d e"
    assert one_line("bell\x07 null\x00 esc\x1b[0m") == "bell null esc[0m"
    assert one_line("lone \ud800 surrogate") == "lone surrogate"
    assert one_line(None) == "" and one_line("") == ""


def test_one_line_keeps_text_in_any_script() -> None:
    assert one_line("稀疏注意力 🚀 עברית") == "稀疏注意力 🚀 עברית"


# ---------------------------------------------------------------- truncate


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("short", 5) == "short"
    assert truncate("short", 50) == "short"


def test_truncate_cuts_at_a_word() -> None:
    assert truncate("the quick brown fox jumps", 16) == "the quick brown…"
    assert truncate("the quick brown fox jumps", 16, ellipsis="...") == "the quick..."


def test_truncate_never_keeps_half_a_number() -> None:
    assert truncate("speedup16.25xfaster", 8) == "speedup…"
    assert truncate("ratio:1234567", 10) == "ratio…"


def test_truncate_tiny_limits() -> None:
    assert truncate("abcdef", 0) == ""
    assert truncate("abcdef", 1) == "…"
    assert truncate("abcdef", 2, ellipsis="...") == ".."


@given(st.text(max_size=300), st.integers(min_value=0, max_value=200), st.sampled_from(["…", "...", " [more]"]))
def test_truncate_fits_and_is_a_prefix(text: str, limit: int, ellipsis: str) -> None:
    cut = truncate(text, limit, ellipsis)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    elif len(ellipsis) < limit:
        assert cut.endswith(ellipsis)
        assert text.startswith(cut[: -len(ellipsis)])


# ---------------------------------------------------------------- short_name


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("EnvHarness: Awakening Environments for Agents", "EnvHarness"),
        ("  Sparse-K :  Attention with Few Keys", "Sparse-K"),
        ("稀疏注意力：一种新方法", "稀疏注意力"),
        ("Curriculum Self-Play Tuning", "Curriculum Self-Play Tuning"),
        ("Multi\nline:\ttitle", "Multi line"),
        ("", ""),
    ],
)
def test_short_name(title: str, expected: str) -> None:
    assert short_name(title) == expected


def test_short_name_of_a_long_title_without_a_short_head() -> None:
    title = "A Very Long Title Without Any Colon That Goes On And On About Invented Things"
    name = short_name(title)
    assert name.endswith("…") and len(name) <= 40
    assert title.startswith(name[:-1])
    long_head = "An Overly Long Head Before The Colon That Never Seems To End: Part Two"
    assert short_name(long_head) == truncate(long_head, 40)


# ---------------------------------------------------------------- small helpers


def test_join_list_by_language() -> None:
    assert join_list(["A", "B"], "en") == "A, B"
    assert join_list(["甲", "乙"], "zh") == "甲、乙"
    assert join_list([], "en") == ""


@pytest.mark.parametrize(("value", "expected"), [(2.0, "2"), (1.44, "1.4"), (0.0, "0"), (0.05, "0.1")])
def test_format_count(value: float, expected: str) -> None:
    assert format_count(value) == expected


# ---------------------------------------------------------------- trend_observations


def test_trend_observations_mix_then_each_topic(language: Language) -> None:
    digest = make_digest(language)
    names = digest.topic_names
    mix = join_list([f"{names['agentic-rl']} 2", f"{names['efficient-llm']} 1"], language)
    assert trend_observations(digest) == [
        label(language, "trend_mix", mix=mix),
        label(language, "trend_up", topic=names["agentic-rl"], today=2, avg7="0.5", avg30="0.8"),
        label(language, "trend_line", topic=names["efficient-llm"], today=1, avg7="1.2", avg30="1"),
        label(language, "trend_down", topic=names["world-models"], today=0, avg7="2", avg30="1.5"),
    ]


def test_trend_observations_without_history(language: Language) -> None:
    trends = [TopicTrend(topic="agentic-rl", today=2, avg_7d=0, avg_30d=0)]
    observations = trend_observations(make_digest(language, trends=trends))
    assert observations[-1] == label(language, "trend_none")
    assert len(observations) == 2  # the mix still says what today holds


def test_trend_observations_with_no_trends_and_no_picks(language: Language) -> None:
    assert trend_observations(make_digest(language, entries=[], trends=[])) == [label(language, "trend_none")]


def test_trend_observations_skip_empty_topics_and_fall_back_to_ids(language: Language) -> None:
    trends = [
        TopicTrend(topic="agentic-rl", today=0, avg_7d=0, avg_30d=0),
        TopicTrend(topic="unknown-topic", today=1, avg_7d=1.0, avg_30d=1.0),
    ]
    digest = make_digest(language, entries=[make_entry(1, topic="unknown-topic")], trends=trends)
    assert trend_observations(digest) == [
        label(language, "trend_mix", mix="unknown-topic 1"),
        label(language, "trend_line", topic="unknown-topic", today=1, avg7="1", avg30="1"),
    ]


@pytest.mark.parametrize(
    ("today", "avg7", "key"),
    [
        (3, 1.0, "trend_up"),
        (1, 0.0, "trend_up"),  # new activity in a quiet topic
        (2, 1.5, "trend_line"),  # one more than usual is not a trend
        (1, 2.0, "trend_down"),
        (0, 0.8, "trend_line"),  # too little history to call it quieter
    ],
)
def test_trend_thresholds(today: int, avg7: float, key: str) -> None:
    trends = [TopicTrend(topic="agentic-rl", today=today, avg_7d=avg7, avg_30d=1.0)]
    observation = trend_observations(make_digest("en", trends=trends))[-1]
    name = "Agentic RL"
    assert observation == label("en", key, topic=name, today=today, avg7=format_count(avg7), avg30="1")
