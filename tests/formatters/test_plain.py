"""Command replies rendered as Markdown for the CLI: every view, both languages, hostile text."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.bot.models import Card, DigestEntry, Pick
from paperwire.bot.views import (
    CardView,
    DigestView,
    ExcludedView,
    HelpView,
    MessageView,
    PaperListItem,
    PaperListView,
    SubscriptionView,
    TopicRow,
    TopicsView,
    TrendRow,
    TrendsView,
)
from paperwire.formatters.plain import render_view, sparkline
from tests.fakes.digests import HOSTILE_TITLE, TOPIC_NAMES, make_digest, make_entry, make_exclusion, make_paper

DAY = date(2026, 2, 20)


def test_a_message_is_its_lines() -> None:
    view = MessageView("en", ["First line.", "Second\nline."], "usage")

    assert render_view(view) == "First line.\nSecond line.\n"


def test_digest_overview_lists_each_paper_with_its_card_command() -> None:
    digest = make_digest("en", n_papers=3, n_excluded=2)

    text = render_view(DigestView("en", digest))

    assert text.startswith("# Daily AI Papers - 2026-02-21\n")
    assert "## Preview" in text and "3 papers picked today" in text
    for number, entry in enumerate(digest.entries, 1):
        assert f"{number}. **Paper{number}** {'⭐' * entry.pick.stars}" in text
        assert f"`paper {entry.paper.arxiv_id}`" in text
    assert "**Excluded papers**: 2 · `excluded 2026-02-20`" in text
    assert "## Trends" in text
    assert text.rstrip().endswith("*Source: Hugging Face Daily Papers, list of 2026-02-20*")


def test_digest_overview_in_chinese_and_for_some_topics() -> None:
    digest = make_digest("zh", n_papers=2)
    digest.only_topics = ["efficient-llm", "agentic-rl"]

    text = render_view(DigestView("zh", digest))

    assert "## 今日预览" in text and "今日共精选 2 篇论文" in text
    assert "_仅限订阅方向：高效大模型、智能体强化学习_" in text
    assert "## 今日趋势观察" in text and "来源：Hugging Face Daily Papers（2026-02-20 列表）" in text


def test_a_digest_without_picks_says_so() -> None:
    text = render_view(DigestView("en", make_digest("en", n_papers=0)))

    assert "no picks today" in text and "1. " not in text


def card_view(stars: int = 3, language: str = "en", card: Card | None = None, note: str | None = None) -> CardView:
    entry = make_entry(1, stars=stars, card=card)
    return CardView(language, entry, TOPIC_NAMES[language], DAY, note)  # type: ignore[arg-type]


def test_a_card_reads_like_a_paper_section_of_the_post() -> None:
    text = render_view(card_view(note="Picked in the digest of the 2026-02-20 list."))

    lines = text.splitlines()
    assert lines[0] == "### Paper1: An Invented Method for Sparse Things 1"
    assert "**Authors**: " in text
    assert "[arXiv:2602.00001](https://arxiv.org/abs/2602.00001)" in text
    assert "[PDF](https://arxiv.org/pdf/2602.00001)" in text
    assert "[Code](https://github.com/example/paper1)" in text
    assert "**Topic**: Efficient LLM · ⭐⭐⭐ Must read" in text
    order = ["**Core innovation**", "1. ", "**Results**", "**Key insight**", "**Takeaways**", "✅ **Fits**"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert lines[-1] == "_summary drawn from the abstract_ · Picked in the digest of the 2026-02-20 list."


def test_a_card_never_picked_shows_no_stars_and_empty_fields_leave_no_trace() -> None:
    text = render_view(card_view(stars=0, card=Card(one_liner="Only a one-liner here.")))

    assert "⭐" not in text and "Must read" not in text and "Optional" not in text
    assert "_Only a one-liner here._" in text
    for label in ("Core innovation", "Results", "Key insight", "Takeaways"):
        assert label not in text


def test_a_card_in_chinese() -> None:
    text = render_view(card_view(language="zh"))

    assert "**作者**" in text and "**方向**: 高效大模型 · ⭐⭐⭐ 必读" in text and "**核心创新**" in text


def test_paper_lists_show_day_topic_and_stars() -> None:
    items = [
        PaperListItem(make_paper(1), DAY, "efficient-llm", "Efficient LLM", 3),
        PaperListItem(make_paper(2, title="Sneaky [link](http://evil.example) | title"), None, None, None),
    ]

    text = render_view(PaperListView("en", "Search: invented", items, "nothing"))

    lines = text.splitlines()
    assert lines[0] == "## Search: invented"
    assert lines[2] == (
        "1. [Paper1: An Invented Method for Sparse Things 1](https://arxiv.org/abs/2602.00001)"
        " — `2602.00001` · 2026-02-20 · Efficient LLM · ⭐⭐⭐"
    )
    assert lines[3].startswith("2. [") and lines[3].endswith("— `2602.00002`")
    assert lines[3].count("](") == 1  # brackets in a title cannot end the link text
    assert "nothing" not in text


def test_an_empty_list_shows_why() -> None:
    assert render_view(PaperListView("en", "Search: x", [], 'Nothing stored matches "x".')).endswith(
        'Nothing stored matches "x".\n'
    )


def test_excluded_is_a_table_that_hostile_titles_cannot_break() -> None:
    exclusions = [make_exclusion(1, title=HOSTILE_TITLE, reason="a | b"), make_exclusion(2)]

    text = render_view(ExcludedView("en", DAY, exclusions))

    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert rows[0] == "| Paper | Reason |"
    assert len(rows) == 4
    assert all(len(row.replace("\\|", "").strip("|").split("|")) == 2 for row in rows)
    assert "a \\| b" in rows[2]
    assert render_view(ExcludedView("zh", DAY, [])).splitlines()[-1] == "今日所有论文均已入选。"


def test_topics_and_trends_tables() -> None:
    topics = TopicsView("en", "Topics", ("id", "name", "papers"), [TopicRow("vla", "VLA | Embodied", 4)], "note")
    trends = TrendsView(
        "en",
        "Trends",
        ("topic", "total", "per day", "by day"),
        [DAY, date(2026, 2, 23)],
        [TrendRow("vla", "VLA", [0, 8]), TrendRow("agentic-rl", "Agentic RL", [4, 2])],
    )

    assert "| `vla` | VLA \\| Embodied | 4 |" in render_view(topics)
    text = render_view(trends)
    assert "| VLA | 8 | 4.0 | `·█` |" in text
    assert "| Agentic RL | 6 | 3.0 | `▄▂` |" in text
    assert render_view(TrendsView("en", "Trends", ("a", "b", "c", "d"), [], [], "No lists.")).endswith("No lists.\n")


def test_sparkline_scales_to_the_top_count() -> None:
    assert sparkline([0, 1, 4, 8], 8) == "·▁▄█"
    assert sparkline([0, 0], 0) == "··"


def test_subscription_and_help() -> None:
    subscription = SubscriptionView(
        "en", "This chat's subscription", True, fields=[("Status", "subscribed"), ("Time zone", "UTC")], note="Saved."
    )
    help_view = HelpView("en", "Commands", [("today", "the latest digest")], "Dates are list days.")

    assert render_view(subscription) == (
        "Saved.\n\n## This chat's subscription\n\n- **Status**: subscribed\n- **Time zone**: UTC\n"
    )
    assert render_view(help_view) == "## Commands\n\n- `today` — the latest digest\n\nDates are list days.\n"


@settings(max_examples=100, deadline=None)
@given(title=st.text(), abstract=st.text(), reason=st.text())
def test_any_paper_text_renders(title: str, abstract: str, reason: str) -> None:
    paper = make_paper(1, title=title, abstract=abstract)
    entry = DigestEntry(Pick(paper, "vla", 1.0, 2, 1), Card(one_liner=abstract, results=[reason]))
    for view in (
        CardView("en", entry, {}, None, reason),
        PaperListView("zh", title, [PaperListItem(paper, None, "vla", reason)]),
        ExcludedView("en", DAY, [make_exclusion(1, title=title, reason=reason)]),
    ):
        text = render_view(view)
        assert text.endswith("\n")
        assert "\r" not in text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_the_fast_one_line_path_agrees_with_the_general_one(text: str) -> None:
    import unicodedata

    from paperwire.formatters.text import one_line

    kept = (c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cs", "Co", "Cn"))
    assert one_line(text) == " ".join("".join(kept).split())
