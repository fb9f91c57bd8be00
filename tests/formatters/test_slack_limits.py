"""The Block Kit validator shared by the renderer and the fake Slack."""

from __future__ import annotations

from typing import Any

import pytest

from paperwire.formatters.slack_limits import slack_length, validate_blocks


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", **fields: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **fields}


def test_valid_blocks_have_no_problems() -> None:
    blocks = [
        header("h" * 150),
        section("s" * 3000),
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}]},
        {
            "type": "actions",
            "elements": [button("b" * 75, action_id=f"a{n}", url="https://x.example") for n in range(25)],
        },
    ]
    assert validate_blocks(blocks) == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ("not a list", "must be an array [json-pointer:/blocks]"),
        ([{"type": "divider"}] * 51, "no more than 50 items [json-pointer:/blocks]"),
        ([header("h" * 151)], "must be less than 151 characters [json-pointer:/blocks/0/text/text]"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "[json-pointer:/blocks/0/text/type]"),
        ([section("s" * 3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
        ([section("   ")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        ([{"type": "section"}], "must provide either text or fields [json-pointer:/blocks/0]"),
        ([{"type": "actions", "elements": [button("b" * 76)]}], "[json-pointer:/blocks/0/elements/0/text/text]"),
        ([{"type": "actions", "elements": [button(url="u" * 10)]}], "must be a valid URL"),
        ([{"type": "actions", "elements": [button(url="https://" + "u" * 3000)]}], "less than 3001 characters"),
        ([{"type": "actions", "elements": [button(action_id=str(n)) for n in range(26)]}], "no more than 25 items"),
        ([{"type": "actions", "elements": [button(action_id="a"), button(action_id="a")]}], "duplicate action_id 'a'"),
        ([{"type": "actions", "elements": []}], "non-empty array [json-pointer:/blocks/0/elements]"),
        ([{"type": "actions", "elements": [{"type": "marquee"}]}], "unsupported element type 'marquee'"),
        ([{"type": "carousel"}], "unsupported block type 'carousel' [json-pointer:/blocks/0/type]"),
        ([{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}], "duplicate block_id 'x'"),
        (["text"], "must be an object [json-pointer:/blocks/0]"),
    ],
)
def test_each_broken_limit_is_reported_with_its_pointer(blocks: Any, expected: str) -> None:
    problems = validate_blocks(blocks)
    assert any(expected in problem for problem in problems), problems


def test_action_ids_must_be_unique_across_blocks() -> None:
    blocks = [{"type": "actions", "elements": [button(action_id="same")]}] * 2
    assert validate_blocks(blocks) == ["duplicate action_id 'same' [json-pointer:/blocks/1/elements/0/action_id]"]


def test_lengths_count_utf16_units_so_emoji_count_twice() -> None:
    assert slack_length("abc") == 3
    assert slack_length("🚀") == 2
    assert slack_length("中文") == 2
    assert validate_blocks([header("🚀" * 75)]) == []
    assert validate_blocks([header("🚀" * 76)]) != []
