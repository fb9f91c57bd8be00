"""The Slack renderer: structure, escaping, and every Block Kit limit, in both languages."""

from __future__ import annotations

from datetime import date

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.bot.models import Card
from paperwire.formatters.labels import digest_title, label
from paperwire.formatters.slack import (
    EXCLUDED_ACTION_ID,
    OPEN_ACTION_PREFIX,
    VOTE_ACTION_PREFIX,
    SlackMessage,
    escape_mrkdwn,
    link,
    render_card,
    render_digest,
    render_excluded,
    render_overview,
)
from paperwire.formatters.slack_limits import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    slack_length,
    validate_blocks,
)
from tests.fakes.slack_digests import (
    LONG_ABSTRACT,
    TOPIC_NAMES,
    hostile_entries,
    make_card,
    make_digest,
    make_entry,
    make_exclusion,
    make_paper,
)

LANGUAGES = ["en", "zh"]
OUR_LINK = re.compile(r"<https?://[^\s|<>]+\|[^<>]*>")
ENTITY = re.compile(r"&(amp|lt|gt);")


def mrkdwn_texts(message: SlackMessage) -> list[str]:
    """Every mrkdwn string of a message, the fallback text included."""
    texts = [message.text]
    for block in message.blocks:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts += [element["text"] for element in block["elements"] if element["type"] == "mrkdwn"]
    return texts


def action_ids(message: SlackMessage) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def buttons(message: SlackMessage) -> list[dict[str, Any]]:
    return [element for block in message.blocks if block["type"] == "actions" for element in block["elements"]]


def section_text(message: SlackMessage) -> str:
    return "\n".join(block["text"]["text"] for block in message.blocks if block["type"] == "section")


def assert_valid(message: SlackMessage) -> None:
    assert validate_blocks(message.blocks) == []
    assert len(message.blocks) <= MAX_BLOCKS
    ids = action_ids(message)
    assert len(ids) == len(set(ids))
    assert message.text.strip()


def test_escape_mrkdwn_escapes_exactly_three_characters() -> None:
    assert escape_mrkdwn("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape_mrkdwn("<@U123> <!channel>") == "&lt;@U123&gt; &lt;!channel&gt;"
    assert escape_mrkdwn("*bold* _it_ `code` \"q\" 'a'") == "*bold* _it_ `code` \"q\" 'a'"
    assert escape_mrkdwn("&amp;") == "&amp;amp;"


def test_link_escapes_the_label_and_keeps_the_url_inside_the_link() -> None:
    assert link("https://arxiv.org/abs/2602.1", "arXiv") == "<https://arxiv.org/abs/2602.1|arXiv>"
    assert link("https://x.example/a", "A & <B>") == "<https://x.example/a|A &amp; &lt;B&gt;>"
    tricky = link("https://x.example/?a=1&b=2|<!channel>", "label")
    assert tricky.count("|") == 1 and tricky.count("<") == 1 and tricky.count(">") == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_overview_has_header_preview_lines_and_excluded_button(language: str) -> None:
    digest = make_digest(language=language)
    message = render_overview(digest, excluded_action_value="2026-02-20")
    assert_valid(message)
    header = message.blocks[0]
    assert header["type"] == "header"
    assert header["text"]["text"] == digest_title(language, date(2026, 2, 21))
    text = section_text(message)
    assert label(language, "preview") in text
    for number, entry in enumerate(digest.entries, start=1):
        assert f"{number}. <{entry.paper.abs_url}|" in text
    assert len(OUR_LINK.findall(text)) == len(digest.entries)
    assert "TinyRouter-1" in text and "Cheap Token Routing" not in text  # the short name, not the whole title
    (button,) = buttons(message)
    assert button["action_id"] == EXCLUDED_ACTION_ID and button["value"] == "2026-02-20"
    assert button["text"]["text"] == label(language, "button_excluded")
    assert "6" in message.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_overview_names_the_chats_topics_only_when_filtered(language: str) -> None:
    filtered = render_overview(make_digest(language=language, only_topics=["vla"]), excluded_action_value="d")
    plain = render_overview(make_digest(language=language), excluded_action_value="d")
    only = label(language, "only_topics", topics=TOPIC_NAMES[language]["vla"])
    assert any(only in text for text in mrkdwn_texts(filtered))
    assert not any(label(language, "only_topics", topics="") in text for text in mrkdwn_texts(plain))


def test_overview_of_an_empty_digest_says_so() -> None:
    message = render_overview(make_digest([]), excluded_action_value="d")
    assert_valid(message)
    assert label("en", "description_none") in section_text(message)


def test_overview_of_fifty_long_papers_fits_one_message() -> None:
    entries = [
        make_entry(n, paper=make_paper(n, title="Long " * 100), card=make_card(one_liner="x " * 900))
        for n in range(1, 51)
    ]
    message = render_overview(make_digest(entries), excluded_action_value="d")
    assert_valid(message)
    assert len(OUR_LINK.findall(section_text(message))) == 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_card_has_every_section_four_link_buttons_and_two_votes(language: str) -> None:
    entry = make_entry(1)
    message = render_card(entry, language, 1, TOPIC_NAMES[language])
    assert_valid(message)
    assert message.blocks[0]["text"]["text"] == f"1. {entry.paper.title}"
    text = section_text(message)
    for key in ("authors", "link", "topic", "core_innovation", "results", "key_insight", "takeaways", "fits"):
        assert f"*{label(language, key)}*" in text
    assert TOPIC_NAMES[language]["efficient-llm"] in text
    assert label(language, "must_read") in text and "⭐⭐⭐" in text
    assert "1. A per-token depth gate\n2. A distillation loss for the gate" in text
    links = [button for button in buttons(message) if "url" in button]
    assert [button["url"] for button in links] == [
        entry.paper.abs_url, entry.paper.pdf_url, entry.paper.hf_url, entry.paper.github_repo
    ]
    assert all(button["action_id"].startswith(OPEN_ACTION_PREFIX) for button in links)
    assert links[-1]["text"]["text"] == label(language, "button_code")
    votes = [button for button in buttons(message) if "url" not in button]
    assert [(button["text"]["text"], button["value"]) for button in votes] == [
        ("👍", entry.paper.arxiv_id), ("👎", entry.paper.arxiv_id)
    ]
    assert all(button["action_id"].startswith(VOTE_ACTION_PREFIX) for button in votes)


def test_card_omits_what_the_card_does_not_have() -> None:
    entry = make_entry(2, paper=make_paper(2, github_repo=None), card=Card(one_liner="Only this is known."), stars=2)
    message = render_card(entry, "en", 2, TOPIC_NAMES["en"])
    assert_valid(message)
    text = section_text(message)
    for key in ("core_innovation", "results", "key_insight", "takeaways", "fits", "limitations", "next_action"):
        assert f"*{label('en', key)}*" not in text
    assert "Only this is known." in text
    assert label("en", "optional") in text
    assert [button["url"] for button in buttons(message) if "url" in button] == [
        entry.paper.abs_url,
        entry.paper.pdf_url,
        entry.paper.hf_url,
    ]


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("https://github.com/example/x", "https://github.com/example/x"),
        ("example/x", "https://github.com/example/x"),
        ("not a repo", None),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_code_button_only_for_a_usable_repo(repo: str, expected: str | None) -> None:
    message = render_card(make_entry(1, paper=make_paper(1, github_repo=repo)), "en", 1, TOPIC_NAMES["en"])
    code = [button["url"] for button in buttons(message) if button["action_id"].startswith(f"{OPEN_ACTION_PREFIX}code")]
    assert code == ([expected] if expected else [])


def test_a_400_character_title_is_shortened_with_an_ellipsis() -> None:
    title = "Sparse Routing Makes Long Context Cheap " * 10
    assert len(title) == 400
    message = render_card(make_entry(3, paper=make_paper(3, title=title)), "en", 3, TOPIC_NAMES["en"])
    header = message.blocks[0]["text"]["text"]
    assert slack_length(header) <= MAX_HEADER_TEXT
    assert header.endswith("…") and header.startswith("3. Sparse Routing")
    assert_valid(message)


def test_a_5000_character_text_is_split_across_sections_without_losing_words() -> None:
    card = make_card(core_innovation=LONG_ABSTRACT)
    message = render_card(make_entry(1, card=card), "en", 1, TOPIC_NAMES["en"])
    assert_valid(message)
    sections = [block["text"]["text"] for block in message.blocks if block["type"] == "section"]
    assert all(slack_length(text) <= MAX_SECTION_TEXT for text in sections)
    joined = " ".join(" ".join(sections).split())
    assert " ".join(escape_mrkdwn(LONG_ABSTRACT).split()) in joined


def test_a_card_too_big_for_50_blocks_is_cut_with_an_ellipsis() -> None:
    card = make_card(results=[LONG_ABSTRACT] * 40)
    message = render_card(make_entry(1, card=card), "en", 1, TOPIC_NAMES["en"])
    assert_valid(message)
    assert len(message.blocks) == MAX_BLOCKS
    last_section = [block for block in message.blocks if block["type"] == "section"][-1]
    assert last_section["text"]["text"].endswith("…")
    assert message.blocks[-1]["type"] == "actions"


@pytest.mark.parametrize("language", LANGUAGES)
def test_hostile_text_is_escaped_and_within_every_limit(language: str) -> None:
    digest = make_digest(hostile_entries(), language=language, only_topics=["vla"])
    messages = render_digest(digest, excluded_action_value="2026-02-20")
    assert len(messages) == 1 + len(digest.entries)
    for message in messages:
        assert_valid(message)
        for text in mrkdwn_texts(message):
            outside_links = OUR_LINK.sub("", text)
            assert "<" not in outside_links and ">" not in outside_links, text[:200]
            assert "&" not in ENTITY.sub("", outside_links), text[:200]
            assert "<@U" not in text and "<!channel>" not in text and "<!here>" not in text
        for block in message.blocks:
            if block["type"] == "section":
                assert slack_length(block["text"]["text"]) <= MAX_SECTION_TEXT
            if block["type"] == "header":
                assert slack_length(block["text"]["text"]) <= MAX_HEADER_TEXT
        for button in buttons(message):
            assert slack_length(button["text"]["text"]) <= MAX_BUTTON_TEXT
            assert button.get("url", "https://").startswith("https://")


def test_hostile_authors_are_shortened_and_escaped() -> None:
    huge = hostile_entries()[1]
    text = section_text(render_card(huge, "en", 2, TOPIC_NAMES["en"]))
    assert "Author 19" in text and "Author 20," not in text and "(+280)" in text
    injection = section_text(render_card(hostile_entries()[0], "en", 1, TOPIC_NAMES["en"]))
    assert "&lt;@U999&gt;, A &amp; B, &lt;!here&gt;" in injection


def test_a_title_of_only_spaces_falls_back_to_the_arxiv_id() -> None:
    sparse = hostile_entries()[5]
    message = render_card(sparse, "en", 6, TOPIC_NAMES["en"])
    assert message.blocks[0]["text"]["text"] == f"6. {sparse.paper.arxiv_id}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_excluded_papers_with_reasons(language: str) -> None:
    exclusions = [make_exclusion(n) for n in range(5)]
    (message,) = render_excluded(make_digest().list_day, exclusions, language)
    assert_valid(message)
    assert message.blocks[0]["text"]["text"] == f"{label(language, 'excluded')} - 2026-02-20"
    text = section_text(message)
    assert text.count("• <https://arxiv.org/abs/") == 5
    assert exclusions[0].reason[language] in text


def test_many_excluded_papers_spill_into_continued_messages() -> None:
    exclusions = [
        make_exclusion(n, reason="off-topic & too narrow " * 8, title=f"Excluded {n} " + "x" * 80) for n in range(600)
    ]
    messages = render_excluded(make_digest().list_day, exclusions, "en")
    assert len(messages) > 1
    for message in messages:
        assert_valid(message)
    assert all(label("en", "more") in message.blocks[0]["text"]["text"] for message in messages[1:])
    everything = "\n".join(section_text(message) for message in messages)
    assert everything.count("• <https://arxiv.org/abs/") == 600


def test_no_exclusions_says_every_paper_was_picked() -> None:
    (message,) = render_excluded(make_digest().list_day, [], "zh")
    assert_valid(message)
    assert label("zh", "excluded_none") in section_text(message)


def test_action_ids_are_unique_across_a_whole_digest_message() -> None:
    for message in render_digest(make_digest(), excluded_action_value="d"):
        ids = action_ids(message)
        assert len(ids) == len(set(ids))


def test_message_round_trips_through_json() -> None:
    message = render_card(hostile_entries()[0], "zh", 1, TOPIC_NAMES["zh"])
    stored = json.dumps(message.to_dict(), ensure_ascii=False)
    assert SlackMessage.from_dict(json.loads(stored)) == message


@pytest.mark.parametrize("bad", [{}, {"text": 1}, {"text": "t", "blocks": "nope"}, {"text": "t", "blocks": [1]}])
def test_from_dict_refuses_what_it_cannot_rebuild(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SlackMessage.from_dict(bad)


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=600),
    one_liner=st.text(max_size=400),
    insight=st.text(max_size=7000),
    results=st.lists(st.text(max_size=3500), max_size=4),
    language=st.sampled_from(LANGUAGES),
)
def test_any_text_gives_valid_blocks(
    title: str, one_liner: str, insight: str, results: list[str], language: str
) -> None:
    card = Card(one_liner=one_liner, key_insight=insight, results=results)
    entry = make_entry(1, paper=make_paper(1, title=title, authors=[title]), card=card)
    for message in render_digest(make_digest([entry], language=language), excluded_action_value="d"):
        assert_valid(message)
