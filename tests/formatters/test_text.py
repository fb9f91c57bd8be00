"""The shared text helpers: cleaning, cutting, short names and trend sentences."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.bot.models import Language, TopicTrend
from paperwire.formatters.labels import label
from paperwire.formatters.text import days_span, format_count, join_list, one_line, short_name, shorten, trend_observations
from tests.formatters.conftest import make_digest, make_entry

# ---------------------------------------------------------------- one_line


def test_one_line_collapses_whitespace_and_drops_control_characters() -> None:
    assert one_line("  a\nb\r\n\tc\u2028d\x85e  ") == "a b c d e"
    assert one_line("bell\x07 null\x00 esc\x1b[0m") == "bell null esc[0m"
    assert one_line("lone \ud800 surrogate") == "lone surrogate"
    assert one_line(None) == "" and one_line("") == ""


def test_one_line_keeps_text_in_any_script() -> None:
    assert one_line("稀疏注意力 🚀 עברית") == "稀疏注意力 🚀 עברית"


# ---------------------------------------------------------------- shorten
# The one shortening rule of every formatter (formatters/text.py). The properties below judge
# a cut with their own patterns, not the module's.

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
URL = re.compile(r"https?://[^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+")
LATIN_WORD = re.compile(r"[A-Za-z]+")


def test_shorten_leaves_short_text_alone() -> None:
    assert shorten("short", 5) == "short"
    assert shorten("short", 50) == "short"


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("the quick brown fox jumps", 16) == "the quick brown…"
    assert shorten("the quick brown fox jumps", 16, ellipsis="...") == "the quick..."


def test_shorten_never_keeps_part_of_a_number() -> None:
    assert shorten("ratio:1234567", 10) == "ratio…"
    assert shorten("在实验中模型的准确率达到16.25%，超过基线", 14) == "在实验中模型的准确率达到…"
    assert shorten("accuracy reaches 16.25 on the benchmark", 21) == "accuracy reaches…"
    # A whole figure right before the ellipsis reads as a cut one ("16…" may have been 16.5).
    assert shorten("gains of 16. More", 13) == "gains of…"
    assert shorten("from ~3,600 uploads down to 20 calls", 14) == "from…"
    assert shorten("beats GPT-4 on all tasks", 12) == "beats GPT-4…"  # a name, not a figure


def test_shorten_never_cuts_a_word_or_a_url() -> None:
    assert shorten("speedup16.25xfaster", 8) == "…"  # nowhere to cut: nothing is shown
    assert shorten("code at https://github.com/example/repo today", 30) == "code at…"


def test_shorten_keeps_emoji_whole() -> None:
    assert shorten("👍🏽👍🏽👍🏽", 3) == "👍🏽…"
    assert shorten("🇨🇳🇺🇸🇯🇵", 4) == "🇨🇳…"
    assert shorten("👨‍👩‍👧 family", 4) == "…"


def test_shorten_counts_utf16_units_when_asked() -> None:
    assert shorten("😀😀😀", 4, utf16=True) == "😀…"
    assert shorten("😀😀😀", 4) == "😀😀😀"


def test_shorten_tiny_limits() -> None:
    assert shorten("abcdef", 0) == ""
    assert shorten("abcdef", 1) == "…"
    assert shorten("abcdef", 2, ellipsis="...") == ".."


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_NUMBERS = st.builds(
    lambda whole, fraction: f"{whole}.{fraction}" if fraction is not None else str(whole),
    st.integers(0, 10**6),
    st.none() | st.integers(0, 999),
)
_URLS = st.builds(lambda path: f"https://example.org/{path}", st.from_regex(r"[a-z0-9/._-]{0,30}", fullmatch=True))
_CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=8)
_WORDS = st.from_regex(r"[A-Za-z]{1,12}", fullmatch=True)
_EMOJI = st.sampled_from(["🚀", "👍🏽", "👨‍👩‍👧", "🇨🇳", "❤️", "😀"])
_PUNCT = st.sampled_from([" ", " ", ", ", "。", "，", "%", ": ", "(", ")", "-"])
_MIXED = st.lists(st.one_of(_NUMBERS, _URLS, _CJK, _WORDS, _EMOJI, _PUNCT), max_size=40).map("".join)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


@given(_MIXED, st.integers(min_value=0, max_value=120), st.booleans())
def test_shorten_never_splits_a_number_url_word_or_emoji(text: str, limit: int, utf16: bool) -> None:
    cut = shorten(text, limit, utf16=utf16)
    assert (_utf16(cut) if utf16 else len(cut)) <= limit
    if (_utf16(text) if utf16 else len(text)) <= limit:
        assert cut == text
        return
    if limit == 0:
        assert cut == ""
        return
    assert cut.endswith("…")
    kept = cut[:-1]
    assert text.startswith(kept)
    end = len(kept)
    for pattern in (NUMBER, URL, LATIN_WORD):
        for start, stop in _spans(pattern, text):
            assert not start < end < stop, f"{pattern.pattern} split at {end}: {text!r} -> {cut!r}"
    if end:
        # Never a partial number such as "16." and never half of an emoji sequence.
        assert not re.search(r"\d[.,]$", kept)
        assert text[end] not in "\u200d\ufe0f" and not 0x1F3FB <= ord(text[end]) <= 0x1F3FF
        assert kept[-1] != "\u200d"


@given(st.text(max_size=300), st.integers(min_value=0, max_value=200), st.sampled_from(["…", "...", " [more]"]))
def test_shorten_fits_and_is_a_prefix(text: str, limit: int, ellipsis: str) -> None:
    cut = shorten(text, limit, ellipsis=ellipsis)
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
    assert short_name(long_head) == shorten(long_head, 40)


# ---------------------------------------------------------------- small helpers


def test_join_list_by_language() -> None:
    assert join_list(["A", "B"], "en") == "A, B"
    assert join_list(["甲", "乙"], "zh") == "甲、乙"
    assert join_list([], "en") == ""


@pytest.mark.parametrize(("value", "expected"), [(2.0, "2"), (1.44, "1.4"), (0.0, "0"), (0.05, "0.1")])
def test_format_count(value: float, expected: str) -> None:
    assert format_count(value) == expected


# ---------------------------------------------------------------- trend_observations


def trend_values(trend: TopicTrend, name: str, language: str = "en") -> dict[str, object]:
    return {
        "topic": name, "picked": trend.picked, "listed": trend.listed,
        "picked_avg": format_count(trend.picked_avg), "listed_avg": format_count(trend.listed_avg),
        "picked_span": days_span(trend.picked_days, language), "listed_span": days_span(trend.listed_days, language),
    }


def test_trend_observations_mix_then_each_topic(language: Language) -> None:
    digest = make_digest(language)
    names = digest.topic_names
    mix = join_list([f"{names['agentic-rl']} 2", f"{names['efficient-llm']} 1"], language)
    agents, efficient, world = digest.trends
    assert trend_observations(digest) == [
        label(language, "trend_mix", mix=mix),
        label(language, "trend_up", **trend_values(agents, names["agentic-rl"], language)),
        label(language, "trend_line", **trend_values(efficient, names["efficient-llm"], language)),
        label(language, "trend_down", **trend_values(world, names["world-models"], language)),
    ]


def test_picks_are_compared_with_picks_and_listed_with_listed() -> None:
    trend = TopicTrend("agentic-rl", picked=2, listed=9, picked_avg=1.5, listed_avg=4.0, picked_days=6, listed_days=6)
    line = trend_observations(make_digest("en", trends=[trend]))[-1]
    assert line == "Agentic RL: 2 picked today (1.5 a day over the 6 list days before), 9 listed (4 a day)"
    zh = trend_observations(make_digest("zh", trends=[trend]))[-1]
    assert zh == "智能体强化学习：今日入选 2 篇（此前 6 个列表日日均 1.5 篇），列表 9 篇（日均 4 篇）"
    one = TopicTrend("agentic-rl", picked=1, listed=2, picked_avg=1.0, listed_avg=2.0, picked_days=1, listed_days=1)
    assert trend_observations(make_digest("en", trends=[one]))[-1] == (
        "Agentic RL: 1 picked today (1 a day over the list day before), 2 listed (2 a day)"
    )


def test_trend_observations_without_history(language: Language) -> None:
    trends = [TopicTrend("agentic-rl", picked=2, listed=4)]
    observations = trend_observations(make_digest(language, trends=trends))
    assert observations[-1] == label(language, "trend_none")
    assert len(observations) == 2  # the mix still says what today holds


def test_trend_observations_with_no_trends_and_no_picks(language: Language) -> None:
    assert trend_observations(make_digest(language, entries=[], trends=[])) == [label(language, "trend_none")]


@pytest.mark.parametrize("days", [1, 4])
def test_few_days_of_history_name_their_number_and_call_nothing_usual(language: Language, days: int) -> None:
    # 1 picked against 0 would be "busier than usual" with enough history.
    trends = [TopicTrend("agentic-rl", picked=1, listed=3, picked_avg=0.0, listed_avg=2.0, picked_days=days, listed_days=days)]
    observations = trend_observations(make_digest(language, trends=trends))
    name = make_digest(language).topic_names["agentic-rl"]
    assert observations[1:] == [
        label(language, "trend_few", days=days),
        label(language, "trend_line", **trend_values(trends[0], name, language)),
    ]
    text = " ".join(observations)
    assert "usual" not in text.replace(label("en", "trend_few", days=days), "") and "平时" not in text
    assert "30" not in text and "7 天" not in text  # the window is named by the days stored


def test_trend_observations_skip_empty_topics_and_fall_back_to_ids(language: Language) -> None:
    trends = [
        TopicTrend("agentic-rl", picked=0, listed=0, picked_days=6, listed_days=6),
        TopicTrend("unknown-topic", picked=1, listed=2, picked_avg=1.0, listed_avg=2.0, picked_days=6, listed_days=6),
    ]
    digest = make_digest(language, entries=[make_entry(1, topic="unknown-topic")], trends=trends)
    assert trend_observations(digest) == [
        label(language, "trend_mix", mix="unknown-topic 1"),
        label(language, "trend_line", **trend_values(trends[1], "unknown-topic", language)),
    ]


@pytest.mark.parametrize(
    ("picked", "average", "key"),
    [
        (3, 1.0, "trend_up"),
        (1, 0.0, "trend_up"),  # new activity in a quiet topic
        (2, 1.5, "trend_line"),  # one more than usual is not a trend
        (1, 2.0, "trend_down"),
        (0, 0.8, "trend_line"),  # too little history to call it quieter
    ],
)
def test_trend_thresholds(picked: int, average: float, key: str) -> None:
    trends = [TopicTrend("agentic-rl", picked=picked, listed=5, picked_avg=average, listed_avg=5.0, picked_days=8, listed_days=8)]
    observation = trend_observations(make_digest("en", trends=trends))[-1]
    assert observation == label("en", key, **trend_values(trends[0], "Agentic RL"))


def test_without_curated_history_the_lists_are_compared_with_lists(language: Language) -> None:
    # An imported archive: many lists stored, no earlier picks.
    trend = TopicTrend("agentic-rl", picked=1, listed=9, picked_avg=0.0, listed_avg=3.0, picked_days=0, listed_days=12)
    name = make_digest(language).topic_names["agentic-rl"]
    observations = trend_observations(make_digest(language, trends=[trend]))
    assert observations[-1] == label(language, "trend_up_listed", **trend_values(trend, name, language))
    calm = TopicTrend("agentic-rl", picked=1, listed=3, listed_avg=3.0, listed_days=2)
    observations = trend_observations(make_digest(language, trends=[calm]))
    assert observations[1:] == [
        label(language, "trend_few", days=2),
        label(language, "trend_line_listed", **trend_values(calm, name, language)),
    ]
