"""Command replies as Telegram messages: valid HTML for the Bot API's parser, within every limit,
with buttons whose callback data the adapter can read back."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.bot.models import DigestEntry, Pick
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
from paperwire.formatters.telegram import TelegramMessage
from paperwire.formatters.telegram_html import MAX_CALLBACK_BYTES, MAX_ENTITIES, MAX_MESSAGE_LENGTH
from paperwire.formatters.telegram_views import callback_command, card_callback, excluded_callback, render_view
from tests.fakes.digests import HOSTILE_SNIPPETS, HOSTILE_TITLE, TOPIC_NAMES, make_card, make_digest, make_paper
from tests.fakes.telegram_html import parse_html, utf16_length

DAY = date(2026, 2, 20)


def check(messages: list[TelegramMessage]) -> list[str]:
    """What Telegram would show for each message; fails on anything it would refuse."""
    assert messages
    shown = []
    for message in messages:
        parsed = parse_html(message.text)
        assert parsed.text, "Telegram refuses an empty message"
        assert utf16_length(parsed.text) <= MAX_MESSAGE_LENGTH
        assert len(parsed.entities) <= MAX_ENTITIES
        for row in message.buttons:
            for button in row:
                if button.callback_data is not None:
                    assert len(button.callback_data.encode("utf-8")) <= MAX_CALLBACK_BYTES
        shown.append(parsed.text)
    return shown


PICKED_NOTE = "Picked in the digest of the 2026-02-20 list."


def card_view(*, stars: int, note: str | None = PICKED_NOTE, **paper: object) -> CardView:
    entry = DigestEntry(Pick(make_paper(1, **paper), "efficient-llm" if stars else "", 1.0, stars, 1), make_card(1))
    return CardView("en", entry, TOPIC_NAMES["en"], DAY, note)


def test_a_digest_is_its_overview_with_card_and_excluded_buttons() -> None:
    [overview] = render_view(DigestView("en", make_digest(n_papers=3)))
    [text] = check([overview])
    assert text.startswith("Daily AI Papers - 2026-02-21")
    data = [button.callback_data for row in overview.buttons for button in row]
    assert data == ["p:2602.00001", "p:2602.00002", "p:2602.00003", "x:2026-02-20"]
    assert [button.text for button in overview.buttons[0]] == ["1", "2", "3"]


def test_a_picked_card_shows_its_stars_topic_and_note() -> None:
    messages = render_view(card_view(stars=3))
    shown = "\n".join(check(messages))
    assert shown.startswith("Paper1: An Invented Method")
    assert "Topic: Efficient LLM · ⭐⭐⭐ Must read" in shown
    assert shown.rstrip().endswith("Picked in the digest of the 2026-02-20 list.")
    assert [button.url for button in messages[-1].buttons[0]] == [
        "https://arxiv.org/abs/2602.00001",
        "https://arxiv.org/pdf/2602.00001",
    ]


def test_a_card_never_picked_shows_no_recommendation() -> None:
    shown = "\n".join(check(render_view(card_view(stars=0, note="Looked up on demand."))))
    assert "⭐" not in shown and "Must read" not in shown and "Optional" not in shown
    assert "Topic:" not in shown  # no topic known either
    assert not shown.startswith("0.") and not shown.startswith("1.")


def test_a_long_hostile_card_is_split_and_stays_valid() -> None:
    view = card_view(stars=2, title=HOSTILE_TITLE, abstract="x" * 5000)
    view.entry.card = make_card(1, text=" ".join(HOSTILE_SNIPPETS), length=6000)
    messages = render_view(view)
    shown = check(messages)
    assert len(messages) >= 2
    assert all(not message.buttons for message in messages[:-1]) and messages[-1].buttons
    assert '<script>alert("x")</script>' in shown[0]
    assert all(part.startswith("Q<script>") for part in shown[1:])  # the continuation heading


def test_an_excluded_view_lists_every_paper_with_its_reason() -> None:
    digest = make_digest(n_excluded=40)
    shown = "\n".join(check(render_view(ExcludedView("en", DAY, digest.exclusions))))
    assert shown.startswith("Excluded papers · 2026-02-20")
    assert "invented reason 40" in shown


def test_a_long_list_is_split_and_repeats_its_heading() -> None:
    items = [PaperListItem(make_paper(n, title=f"{HOSTILE_TITLE} {n} " + "word " * 30), DAY, "vla", "VLA", 2)
             for n in range(1, 60)]  # fmt: skip
    messages = render_view(PaperListView("en", "Search: <b> & stuff", items, "nothing"))
    shown = check(messages)
    assert len(messages) > 1
    assert all(part.startswith("Search: <b> & stuff") for part in shown)
    # The card buttons (at most 20, in rows of five) sit under the last part.
    assert [len(row) for row in messages[-1].buttons] == [5, 5, 5, 5]
    assert not messages[0].buttons


def test_an_empty_list_says_so() -> None:
    shown = check(render_view(PaperListView("en", "Search: nothing", [], 'Nothing stored matches "x".')))
    assert shown == ['Search: nothing\nNothing stored matches "x".']


TRENDS_COLUMNS = ("topic", "total", "per day", "by day")


@pytest.mark.parametrize(
    ("view", "fragment"),
    [
        (
            MessageView("en", ['No command "<b>".', "Commands: today & more"], "usage"),
            'No command "<b>".\nCommands: today & more',
        ),
        (
            HelpView("en", "Commands", [("topic <name> [days]", "a topic")], "Dates…"),
            "/topic <name> [days] — a topic\nDates…",
        ),
        (
            TopicsView("en", "Topics", ("id", "name", "papers"), [TopicRow("vla", "VLA & <robots>", 3)], "Type"),
            "vla — VLA & <robots>: 3",
        ),
        (
            TrendsView("en", "Trends", TRENDS_COLUMNS, [DAY, DAY], [TrendRow("vla", "VLA", [2, 0])]),
            "VLA · 2 · 1.0 · █·",
        ),
        (
            TrendsView("en", "Trends", TRENDS_COLUMNS, [], [], "No lists <stored>."),
            "Trends\nNo lists <stored>.",
        ),
        (
            SubscriptionView("zh", "本会话的订阅", True, fields=[("状态", "已订阅")], note="设置已保存。"),
            "设置已保存。\n本会话的订阅\n状态: 已订阅",
        ),
    ],
)
def test_every_other_view_is_escaped_html(view: View, fragment: str) -> None:
    assert fragment in "\n".join(check(render_view(view)))


def test_help_shows_slash_commands() -> None:
    shown = check(render_view(HelpView("en", "Commands", [("paper <arXiv id>", "one card")])))
    assert shown == ["Commands\n/paper <arXiv id> — one card"]


@given(st.lists(st.text(max_size=3000), min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_any_text_in_a_message_view_is_accepted(lines: list[str]) -> None:
    view = MessageView("en", lines)
    if not any(line.strip() for line in lines):
        return
    check(render_view(view))


def test_callback_data_reads_back_as_commands() -> None:
    assert callback_command(excluded_callback(DAY)) == "excluded 2026-02-20"
    assert callback_command(card_callback("cs/0501001") or "") == "paper cs/0501001"
    assert card_callback("x" * 70) is None
    assert callback_command("x:") is None and callback_command("zz") is None
