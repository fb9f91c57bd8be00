"""Command replies as Slack messages: every view, both languages, hostile text, Block Kit limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
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
    View,
)
from paperwire.formatters.slack import EXCLUDED_ACTION_ID, SlackMessage, validate_blocks
from paperwire.formatters.slack_views import render_view
from tests.fakes.slack_digests import (
    HOSTILE_TITLE,
    TOPIC_NAMES,
    hostile_entries,
    make_digest,
    make_entry,
    make_exclusion,
    make_paper,
)

DAY = date(2026, 2, 20)


def rendered(view: View) -> list[SlackMessage]:
    messages = render_view(view)
    assert messages, "every view gets at least one message"
    for message in messages:
        assert validate_blocks(message.blocks) == []
        assert message.text.strip()
    return messages


def all_text(messages: list[SlackMessage]) -> str:
    parts = []
    for message in messages:
        for block in message.blocks:
            if "text" in block:
                parts.append(block["text"]["text"])
            for element in block.get("elements", []):
                parts.append(element.get("text") if isinstance(element.get("text"), str) else element["text"]["text"])
    return "\n".join(parts)


def mrkdwn_text(messages: list[SlackMessage]) -> str:
    """Only the text Slack parses for mentions and links (headers and buttons are plain text)."""
    parts = [message.text for message in messages]
    for message in messages:
        for block in message.blocks:
            if block.get("type") == "section":
                parts.append(block["text"]["text"])
            if block.get("type") == "context":
                parts.extend(element["text"] for element in block["elements"])
    return "\n".join(parts)


def test_a_message_is_its_lines_escaped() -> None:
    [message] = rendered(MessageView("en", ["No paper <@U1> & <!channel>.", "Usage: paper <id>"], "usage"))

    assert message.blocks[0]["text"]["text"] == "No paper &lt;@U1&gt; &amp; &lt;!channel&gt;.\nUsage: paper &lt;id&gt;"
    assert "<!channel>" not in message.text


def test_digest_reply_is_the_overview_with_the_excluded_button() -> None:
    [message] = rendered(DigestView("en", make_digest()))

    assert message.blocks[0]["text"]["text"] == "Daily AI Papers - 2026-02-21"
    button = message.blocks[-1]["elements"][0]
    assert (button["action_id"], button["value"]) == (EXCLUDED_ACTION_ID, "2026-02-20")


def test_a_picked_card_is_titled_without_its_rank_and_keeps_its_stars() -> None:
    entry = make_entry(2, stars=3)
    view = CardView("en", entry, TOPIC_NAMES["en"], DAY, note="Picked in the digest of the 2026-02-20 list.")

    [message] = rendered(view)

    assert message.blocks[0]["text"]["text"] == entry.paper.title
    text = all_text([message])
    assert "⭐⭐⭐ Must read" in text
    assert "Picked in the digest of the 2026-02-20 list." in text
    assert any(element.get("url") == entry.paper.abs_url for element in message.blocks[-1]["elements"])


def test_an_unpicked_card_shows_its_topic_but_no_rating() -> None:
    paper = make_paper(9)
    entry = DigestEntry(Pick(paper, "efficient-llm", 0.0, 0, 0), Card(one_liner="An invented one-liner."))

    [message] = rendered(CardView("en", entry, TOPIC_NAMES["en"], None, note="Looked up on demand."))

    text = all_text([message])
    assert "*Topic*: Efficient LLM" in text
    assert "Optional" not in text and "⭐" not in text


def test_an_unpicked_card_without_a_topic_drops_the_topic_line() -> None:
    entry = DigestEntry(Pick(make_paper(9), "", 0.0, 0, 0), Card(one_liner="x"))

    [message] = rendered(CardView("zh", entry, TOPIC_NAMES["zh"]))

    assert "方向" not in all_text([message])


def test_search_results_link_each_paper_and_escape_titles() -> None:
    items = [
        PaperListItem(make_paper(1, title=HOSTILE_TITLE), DAY, "agentic-rl", "Agentic RL", 3),
        PaperListItem(make_paper(2), None, None, None),
    ]

    messages = rendered(PaperListView("en", "Search: <b>", items, empty="none", note="a note"))

    text = all_text(messages)
    assert messages[0].blocks[0]["text"] == {"type": "plain_text", "text": "Search: <b>", "emoji": True}
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "1. <https://arxiv.org/abs/2602.10001|" in text and "`2602.10001` · 2026-02-20 · Agentic RL · ⭐⭐⭐" in text
    assert "2. <https://arxiv.org/abs/2602.10002|" in text
    assert messages[-1].blocks[-1]["type"] == "context"


def test_an_empty_list_says_so() -> None:
    messages = rendered(PaperListView("en", "Search: nothing", [], empty="Nothing stored matches \"x\"."))

    assert "Nothing stored matches" in all_text(messages)


def test_a_huge_list_continues_in_more_messages_within_50_blocks() -> None:
    long_title = "Ünïcode & <angle> " * 40
    items = [PaperListItem(make_paper(n, title=f"{n} {long_title}"), DAY, "vla", "VLA") for n in range(1, 1500)]

    messages = rendered(PaperListView("en", "Topic", items, note="the end"))

    assert len(messages) > 1
    assert all(len(message.blocks) <= 50 for message in messages)
    assert all_text(messages).count("<https://arxiv.org/abs/") == 1499
    assert all_text(messages[-1:]).endswith("the end")


def test_excluded_reply_is_the_digest_excluded_list() -> None:
    exclusions = [make_exclusion(n, title=f"Excluded <{n}>") for n in range(5)]

    messages = rendered(ExcludedView("en", DAY, exclusions))

    text = all_text(messages)
    assert "Excluded papers - 2026-02-20" in text and text.count("outside the topics") == 5
    assert "Excluded &lt;3&gt;" in text


def test_topics_and_trends() -> None:
    topics = TopicsView(
        "en", "Topics: papers over the last 2 list days", ("id", "name", "papers"),
        [TopicRow("agentic-rl", "Agentic RL", 4), TopicRow("vla", "VLA <robots>", 0)], note="Type topic <name>.",
    )
    trend_days = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]
    trends = TrendsView(
        "en", "Papers per topic", ("topic", "total", "per day", "by day"), trend_days,
        [TrendRow("agentic-rl", "Agentic RL", [1, 0, 3]), TrendRow("vla", "VLA", [0, 0, 0])],
    )

    topic_text = all_text(rendered(topics))
    trend_text = all_text(rendered(trends))

    assert "*Agentic RL* (`agentic-rl`): 4" in topic_text and "VLA &lt;robots&gt;" in topic_text
    assert "*Agentic RL*: 4 (1.3) `▃·█`" in trend_text and "*VLA*: 0 (0.0) `···`" in trend_text
    assert "2026-02-18 … 2026-02-20" in trend_text


def test_trends_without_days_say_why() -> None:
    view = TrendsView("en", "Papers per topic", ("a", "b", "c", "d"), [], [], empty="No lists are stored.")

    assert "No lists are stored." in all_text(rendered(view))


def test_subscription_and_help() -> None:
    subscription = SubscriptionView(
        "zh", "本会话的订阅", True, ["vla"], "09:00", "Asia/Shanghai", "zh",
        fields=[("状态", "已订阅"), ("方向", "视觉语言动作")], note="本会话已订阅日报。",
    )
    help_view = HelpView("en", "Commands", [("paper <id>", "one paper's card")], note="Dates are list days.")

    subscription_messages = rendered(subscription)
    help_text = all_text(rendered(help_view))

    assert subscription_messages[0].blocks[0]["text"]["text"] == "本会话已订阅日报。"
    assert "*状态*: 已订阅" in all_text(subscription_messages)
    assert "`/papers paper &lt;id&gt;` — one paper's card" in help_text and "Dates are list days." in help_text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_hostile_cards_stay_within_limits_and_never_ping(language: str) -> None:
    for entry in hostile_entries():
        for stars_ in (0, entry.pick.stars):
            picked = DigestEntry(Pick(entry.paper, entry.pick.topic, 1.0, stars_, 1), entry.card)
            view = CardView(language, picked, TOPIC_NAMES[language], note="<!here> " * 600)  # type: ignore[arg-type]
            messages = rendered(view)
            text = mrkdwn_text(messages)
            assert "<!here>" not in text and "<!channel>" not in text and "<@U" not in text


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.text(max_size=800), max_size=30), title=st.text(max_size=400))
def test_any_text_renders_within_limits(lines: list[str], title: str) -> None:
    rendered(MessageView("en", lines or ["x"]))
    rendered(HelpView("en", title, [(line, line) for line in lines], note=title or None))
    rendered(PaperListView("en", title, [PaperListItem(make_paper(1, title=line), None, line, line) for line in lines]))
    rendered(TopicsView("en", title, (title, title, title), [TopicRow(line, line, 1) for line in lines], note=title))
    rendered(SubscriptionView("en", title, False, fields=[(line, line) for line in lines], note=title))
    entry = DigestEntry(Pick(make_paper(1, title=title), title, 0.0, 0, 0), Card(one_liner=title))
    rendered(CardView("en", entry, {}, note=title))
