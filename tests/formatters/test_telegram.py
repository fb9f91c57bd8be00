"""The Telegram formatter: escaping, limits after entity parsing, splitting, buttons, languages.

Every message is checked with the fake Bot API's own parser of Telegram's HTML, and the
end-to-end tests send them through a real python-telegram-bot `Bot` to the fake server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import telegram
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode

from paperwire.bot.models import Card
from paperwire.formatters.telegram import Button, TelegramMessage, render_card, render_digest, render_excluded, render_overview
from paperwire.formatters.telegram_html import escape_html, split_html, utf16_length, visible_length
from paperwire.formatters.text import one_line, short_name
from tests.fakes.digests import (
    HOSTILE_SNIPPETS,
    HOSTILE_TITLE,
    LIST_DAY,
    TOPIC_NAMES,
    make_card,
    make_digest,
    make_entry,
    make_exclusion,
    make_paper,
)
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.fakes.telegram_html import ParsedText, parse_html

CALLBACK = "x:2026-02-20"


def accepted(message: TelegramMessage) -> ParsedText:
    """Parse a message as Telegram would and check every limit it must meet."""
    parsed = parse_html(message.text)
    assert 0 < utf16_length(parsed.text) <= 4096
    assert len(parsed.entities) <= 100
    assert message.disable_preview
    for row in message.buttons:
        for button in row:
            assert (button.url is None) != (button.callback_data is None)
            if button.callback_data is not None:
                assert 1 <= len(button.callback_data.encode()) <= 64
    return parsed


def squashed(text: str) -> str:
    return "".join(text.split())


# -- escaping and measuring --------------------------------------------------------------


def test_escape_html_escapes_only_the_three_characters() -> None:
    assert escape_html('<b> & "q" \'s\'') == "&lt;b&gt; &amp; \"q\" 's'"


@pytest.mark.parametrize(
    "html",
    [
        "plain",
        "<b>bold</b> &amp; &lt;x&gt;",
        "🚀👩‍🔬 <i>𝔘𝔫𝔦</i>",
        "R&D &nbsp; &#x1F600; &#65;",
        "中文<b>粗体</b>",
        "مرحبا <u>x</u>",
    ],
)
def test_visible_length_matches_telegrams_parser(html: str) -> None:
    assert visible_length(html) == utf16_length(parse_html(html).text)


# -- cards -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
def test_hostile_text_is_escaped_and_shown_verbatim(language: str) -> None:
    digest = make_digest(language, n_papers=len(HOSTILE_SNIPPETS), hostile=True)
    messages = render_digest(digest, excluded_callback=CALLBACK)
    texts = [accepted(message).text for message in messages]
    cards = "\n".join(texts[1:])
    assert HOSTILE_TITLE in cards
    for snippet in HOSTILE_SNIPPETS:
        assert one_line(snippet) in cards
    assert "O'Brien <ob@example.org>, A & B" in cards


@pytest.mark.parametrize("language", ["en", "zh"])
def test_card_sections_and_labels(language: str) -> None:
    entry = make_entry(1)
    [message] = render_card(entry, language, 1, TOPIC_NAMES[language])
    text = accepted(message).text
    labels = {
        "en": [
            "Authors", "Link", "Topic", "Must read", "Core innovation",
            "Results", "Key insight", "Fits", "Limitations", "Next action",
        ],
        "zh": ["作者", "链接", "方向", "必读", "核心创新", "实验结果", "关键洞察", "适合场景", "局限性", "下一步"],
    }[language]
    for word in labels:
        assert word in text
    assert text.startswith(f"1. {entry.paper.title}")
    assert TOPIC_NAMES[language]["efficient-llm"] in text
    assert text.index(labels[4]) < text.index(labels[5]) < text.index(labels[6]) < text.index(labels[7])


def test_chinese_card_of_english_excerpts_says_so_above_the_fields() -> None:
    entry = make_entry(1)  # an extractive card: the abstract's English sentences
    chinese = accepted(render_card(entry, "zh", 1, TOPIC_NAMES["zh"])[0]).text
    assert "英文原文摘录" in chinese
    assert chinese.index("英文原文摘录") < chinese.index("核心创新")
    assert "英文原文摘录" not in accepted(render_card(entry, "en", 1, TOPIC_NAMES["en"])[0]).text
    written = make_entry(1, card=Card(one_liner="新方法。", core_innovation="本文提出一种新方法。", method="llm"))
    assert "英文原文摘录" not in accepted(render_card(written, "zh", 1, TOPIC_NAMES["zh"])[0]).text


def test_card_omits_fields_the_text_cannot_support() -> None:
    card = Card(one_liner="Only a one-liner here", method="extractive")
    [message] = render_card(make_entry(1, card=card), "en", 1, TOPIC_NAMES["en"])
    text = accepted(message).text
    assert "Only a one-liner here" in text
    for label in ("Core innovation", "Results", "Key insight", "Takeaways", "Fits"):
        assert label not in text


def test_card_buttons() -> None:
    entry = make_entry(2)
    [message] = render_card(entry, "en", 2, TOPIC_NAMES["en"])
    urls = {button.text: button.url for row in message.buttons for button in row if button.url}
    assert urls == {
        "arXiv": "https://arxiv.org/abs/2602.00002",
        "PDF": "https://arxiv.org/pdf/2602.00002",
        "Hugging Face": "https://huggingface.co/papers/2602.00002",
        "Code": "https://github.com/example/paper2",
    }
    votes = [(button.text, button.callback_data) for button in message.buttons[-1]]
    assert votes == [("👍", "v+:2602.00002"), ("👎", "v-:2602.00002")]


@pytest.mark.parametrize(
    ("repo", "expected"),
    [(None, None), ("owner/repo", "https://github.com/owner/repo"), ("not a repo", None), ("https://x.org/a b", None)],
)
def test_code_button_only_when_known(repo: str | None, expected: str | None) -> None:
    entry = make_entry(1, paper=make_paper(1, github_repo=repo))
    [message] = render_card(entry, "zh", 1, TOPIC_NAMES["zh"])
    code = [button.url for row in message.buttons for button in row if button.text == "代码"]
    assert code == ([expected] if expected else [])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_long_card_splits_at_sections_with_buttons_on_the_last_part(language: str) -> None:
    long_text = "A made-up sentence about sparse attention & <kv> caches. " * 90  # ~5,000 characters
    paper = make_paper(1, abstract=long_text)
    card = make_card(1, text=long_text)
    messages = render_card(make_entry(1, paper=paper, card=card), language, 1, TOPIC_NAMES[language])
    assert len(messages) > 2
    parsed = [accepted(message) for message in messages]
    assert all(not message.buttons for message in messages[:-1])
    assert len(messages[-1].buttons) == 3  # links, links, votes
    continued = "（续）" if language == "zh" else "(continued)"
    assert all(text.text.startswith(f"1. Paper1 {continued}") for text in parsed[1:])
    bodies = [parsed[0].text] + [text.text.split("\n", 1)[1] for text in parsed[1:]]
    assert squashed(one_line(long_text) + " (core)") in squashed("".join(bodies))  # nothing lost at the cuts


def test_many_authors_are_shortened() -> None:
    paper = make_paper(1, authors=[f"Author {i}" for i in range(300)])
    [message] = render_card(make_entry(1, paper=paper), "en", 1, TOPIC_NAMES["en"])
    assert "Author 7, … (+292)" in accepted(message).text


# -- overview, digest, excluded ----------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
def test_overview(language: str) -> None:
    digest = make_digest(language, n_papers=3)
    message = render_overview(digest, excluded_callback=CALLBACK)
    text = accepted(message).text
    assert text.startswith("Daily AI Papers - " + ("2026-02-21" if language == "en" else "2026年02月21日"))
    assert ("Preview" if language == "en" else "今日预览") in text
    assert ("Trends" if language == "en" else "今日趋势观察") in text
    for number, entry in enumerate(digest.entries, 1):
        assert f"{number}. {short_name(entry.paper.title)} {'⭐' * entry.pick.stars}" in text
    [[button]] = message.buttons
    assert button.callback_data == CALLBACK
    assert button.text == ("Excluded papers" if language == "en" else "排除论文")


def test_overview_names_the_followed_topics() -> None:
    digest = replace(make_digest("en", 2), only_topics=["vla", "agentic-rl"])
    text = accepted(render_overview(digest, excluded_callback=CALLBACK)).text
    assert "Only your topics: VLA, Agentic RL" in text


def test_overview_stays_one_message_with_many_long_papers() -> None:
    digest = make_digest("en", n_papers=40, hostile=True)
    message = render_overview(digest, excluded_callback=CALLBACK)
    assert "40. " in accepted(message).text


@pytest.mark.parametrize("callback", ["", "x" * 65, "排" * 22])
def test_overview_refuses_callback_data_telegram_refuses(callback: str) -> None:
    with pytest.raises(ValueError, match="callback"):
        render_overview(make_digest("en", 1), excluded_callback=callback)


def test_digest_is_overview_then_cards_in_order() -> None:
    digest = make_digest("en", n_papers=4)
    messages = render_digest(digest, excluded_callback=CALLBACK)
    assert len(messages) == 5
    for number, message in enumerate(messages[1:], 1):
        assert accepted(message).text.startswith(f"{number}. Paper{number}")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_excluded_list_splits_when_long(language: str) -> None:
    exclusions = [make_exclusion(n, title=f"{HOSTILE_TITLE} {n}", reason="off-topic & <narrow>") for n in range(1, 121)]
    messages = render_excluded(LIST_DAY, exclusions, language)
    assert len(messages) > 1  # 120 links and more than 100 entities cannot fit in one
    texts = "\n".join(accepted(message).text for message in messages)
    for number in range(1, 121):
        assert f"\n{number}. " in texts
    assert "off-topic & <narrow>" in texts


def test_excluded_list_when_nothing_was_excluded() -> None:
    [message] = render_excluded(LIST_DAY, [], "zh")
    assert "今日所有论文均已入选。" in accepted(message).text


def test_messages_round_trip_through_json() -> None:
    messages = render_digest(make_digest("zh", 2), excluded_callback=CALLBACK)
    stored = json.loads(json.dumps([message.to_dict() for message in messages]))
    assert [TelegramMessage.from_dict(data) for data in stored] == messages


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "x", "url": "https://github.com/a b"},
        {"text": ""},
        {"text": "x"},
        {"text": "x", "url": "https://e.org", "callback_data": "y"},
        {"text": "x", "url": "ftp://e.org"},
    ],
)
def test_buttons_refuse_what_telegram_refuses(fields: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Button(**fields)


# -- splitting ---------------------------------------------------------------------------


def test_split_packs_whole_sections() -> None:
    blocks = [f"<b>Section {n}</b>\n" + "x" * 1500 for n in range(3)]
    parts = split_html(blocks)
    assert parts == [blocks[0] + "\n\n" + blocks[1], blocks[2]]


def test_split_reopens_tags_across_a_cut() -> None:
    block = "<b>" + " ".join(f"<i>word{n}</i> &amp;" for n in range(2000)) + "</b>"
    parts = split_html([block], limit=500)
    assert len(parts) > 10
    words: list[str] = []
    for part in parts:
        parsed = parse_html(part)
        assert utf16_length(parsed.text) <= 500
        assert parsed.entities[0] == {"type": "bold", "offset": 0, "length": utf16_length(parsed.text)}
        words += parsed.text.split()
    assert words == parse_html(block).text.split()  # cut between words, never inside one


def test_split_never_yields_a_blank_message() -> None:
    parts = split_html(["<b> </b>", "\n" * 50 + "<b>word</b> " + " " * 50 + "end"], limit=20)
    assert [parse_html(part).text for part in parts] == ["word", "end"]


def test_split_caps_entities() -> None:
    block = "\n".join(f"<b>{n}</b> <a href=\"https://e.org/{n}\">link</a>" for n in range(150))
    parts = split_html([block])
    assert len(parts) == 3
    assert all(len(parse_html(part).entities) <= 100 for part in parts)


_PIECES = st.sampled_from(list("ab <>&;\"'#x1 \n中文🚀é\u200f") + ["&amp;", "&lt;", "\n\n", "word "])


@settings(max_examples=300, deadline=None)
@given(
    sections=st.lists(
        st.tuples(st.lists(_PIECES, max_size=400).map("".join), st.sampled_from(["", "b", "i", "a"])),
        min_size=1,
        max_size=6,
    ),
    limit=st.integers(min_value=20, max_value=300),
)
def test_split_never_breaks_html(sections: list[tuple[str, str]], limit: int) -> None:
    blocks = []
    for raw, tag in sections:
        body = escape_html(raw)
        if tag == "a":
            blocks.append(f'<a href="https://e.org/?q=1&amp;r=2">{body}</a> tail {body}')
        elif tag:
            blocks.append(f"<{tag}>{body}</{tag}> and <u>{body}</u>")
        else:
            blocks.append(body)
    parts = split_html(blocks, limit=limit)
    shown = ""
    for part in parts:
        parsed = parse_html(part)  # raises on a broken tag
        assert 0 < utf16_length(parsed.text) <= limit  # Telegram refuses an empty message
        shown += parsed.text
    expected = "".join(parse_html(block).text for block in blocks)
    assert squashed(shown) == squashed(expected)


# -- end to end through python-telegram-bot ----------------------------------------------


@pytest.fixture
async def bot_and_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[telegram.Bot, FakeTelegram]]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with FakeTelegram(limits=RateLimits.off()) as fake:
        async with telegram.Bot(fake.token, base_url=fake.base_url) as bot:
            yield bot, fake


async def _send(bot: telegram.Bot, chat_id: int | str, message: TelegramMessage) -> telegram.Message:
    markup = InlineKeyboardMarkup.de_json(message.reply_markup(), bot) if message.buttons else None
    return await bot.send_message(
        chat_id,
        message.text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=message.disable_preview),
    )


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_every_rendered_message_is_accepted_by_the_bot_api(
    bot_and_fake: tuple[telegram.Bot, FakeTelegram], language: str
) -> None:
    bot, fake = bot_and_fake
    digest = make_digest(language, n_papers=len(HOSTILE_SNIPPETS), hostile=True, n_excluded=150)
    long_text = "Invented claim & <detail> 🚀 " * 200
    digest.entries.append(make_entry(6, paper=make_paper(6, title=HOSTILE_TITLE), card=make_card(6, text=long_text)))
    messages = render_digest(digest, excluded_callback=CALLBACK)
    messages += render_excluded(digest.list_day, digest.exclusions, language)
    for message in messages:
        await _send(bot, "@paperwire", message)
    assert len(fake.sent) == len(messages) > len(digest.entries) + 2
    assert all(sent["dropped_entities"] == 0 and sent["link_preview_disabled"] for sent in fake.sent)
    excluded_button = {"text": messages[0].buttons[0][0].text, "callback_data": CALLBACK}
    assert fake.sent[0]["reply_markup"]["inline_keyboard"] == [[excluded_button]]
