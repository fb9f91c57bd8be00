"""Slack's Block Kit limits, and a pure validator that checks blocks against them.

The formatter and the fake Web API share this module, so a message the formatter builds is
checked by exactly the rules the fake enforces. Problems are phrased the way Slack phrases
them in an `invalid_blocks` answer: `<what is wrong> [json-pointer:/blocks/0/text/text]`.
Lengths are counted in UTF-16 code units, which is never less than Slack's own count.
"""

from __future__ import annotations

import re
from typing import Any

MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_URL = 3000
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_TEXT_OBJECT = 3000
MAX_IMAGE_URL = 3000
MAX_ALT_TEXT = 2000
MAX_MESSAGE_TEXT = 40_000

TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
# Block types Slack accepts in a message; only the ones paperwire sends are checked in depth.
KNOWN_BLOCK_TYPES = frozenset(
    {"section", "header", "divider", "context", "actions", "image", "rich_text", "file", "video", "markdown", "input"}
)
# Interactive elements Slack accepts inside an actions block or as a section accessory.
KNOWN_ELEMENT_TYPES = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "image",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "overflow",
        "radio_buttons",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "timepicker",
        "workflow_button",
    }
)
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:\S+$")


def slack_length(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def validate_blocks(blocks: Any) -> list[str]:
    """Every way `blocks` breaks a Block Kit limit, as Slack would word it; empty when valid."""
    problems: list[str] = []
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"must provide an array of no more than {MAX_BLOCKS} items [json-pointer:/blocks]")
    seen_block_ids: set[str] = set()
    seen_action_ids: set[str] = set()
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict):
            problems.append(f"must be an object [json-pointer:{pointer}]")
            continue
        _check_unique_id(block, "block_id", MAX_BLOCK_ID, pointer, seen_block_ids, problems)
        block_type = block.get("type")
        if block_type not in KNOWN_BLOCK_TYPES:
            problems.append(f"unsupported block type {block_type!r} [json-pointer:{pointer}/type]")
        elif block_type == "header":
            _check_text(block.get("text"), f"{pointer}/text", MAX_HEADER_TEXT, problems, plain_only=True)
        elif block_type == "section":
            _check_section(block, pointer, seen_action_ids, problems)
        elif block_type == "context":
            _check_context(block, pointer, problems)
        elif block_type == "actions":
            _check_actions(block, pointer, seen_action_ids, problems)
        elif block_type == "image":
            _check_image(block, pointer, problems)
    return problems


def _check_unique_id(
    item: dict[str, Any], key: str, limit: int, pointer: str, seen: set[str], problems: list[str]
) -> None:
    """An optional id (`block_id`, `action_id`): a non-empty string within `limit`, unique in `seen`."""
    if key not in item:
        return
    value = item[key]
    if not isinstance(value, str) or not value:
        problems.append(f"must be a non-empty string [json-pointer:{pointer}/{key}]")
    elif slack_length(value) > limit:
        problems.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}/{key}]")
    elif value in seen:
        problems.append(f"duplicate {key} {value!r} [json-pointer:{pointer}/{key}]")
    else:
        seen.add(value)


def _check_text(value: Any, pointer: str, limit: int, problems: list[str], *, plain_only: bool = False) -> None:
    if not isinstance(value, dict):
        problems.append(f"must provide an object [json-pointer:{pointer}]")
        return
    kind = value.get("type")
    allowed = {"plain_text"} if plain_only else TEXT_TYPES
    if kind not in allowed:
        problems.append(f"must be one of {sorted(allowed)} [json-pointer:{pointer}/type]")
    text = value.get("text")
    if not isinstance(text, str):
        problems.append(f"must provide a string [json-pointer:{pointer}/text]")
    elif not text.strip():
        problems.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
    elif slack_length(text) > limit:
        problems.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]")


def _check_section(block: dict[str, Any], pointer: str, action_ids: set[str], problems: list[str]) -> None:
    has_text = "text" in block
    fields = block.get("fields")
    if not has_text and not fields:
        problems.append(f"must provide either text or fields [json-pointer:{pointer}]")
    if has_text:
        _check_text(block["text"], f"{pointer}/text", MAX_SECTION_TEXT, problems)
    if fields is not None:
        if not isinstance(fields, list) or not fields:
            problems.append(f"must provide a non-empty array [json-pointer:{pointer}/fields]")
        else:
            if len(fields) > MAX_SECTION_FIELDS:
                problems.append(
                    f"must provide an array of no more than {MAX_SECTION_FIELDS} items [json-pointer:{pointer}/fields]"
                )
            for number, field in enumerate(fields):
                _check_text(field, f"{pointer}/fields/{number}", MAX_FIELD_TEXT, problems)
    if "accessory" in block:
        _check_element(block["accessory"], f"{pointer}/accessory", action_ids, problems)


def _check_context(block: dict[str, Any], pointer: str, problems: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(f"must provide a non-empty array [json-pointer:{pointer}/elements]")
        return
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        problems.append(
            f"must provide an array of no more than {MAX_CONTEXT_ELEMENTS} items [json-pointer:{pointer}/elements]"
        )
    for number, element in enumerate(elements):
        where = f"{pointer}/elements/{number}"
        if isinstance(element, dict) and element.get("type") == "image":
            _check_image(element, where, problems)
        else:
            _check_text(element, where, MAX_TEXT_OBJECT, problems)


def _check_actions(block: dict[str, Any], pointer: str, action_ids: set[str], problems: list[str]) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(f"must provide a non-empty array [json-pointer:{pointer}/elements]")
        return
    if len(elements) > MAX_ACTIONS_ELEMENTS:
        problems.append(
            f"must provide an array of no more than {MAX_ACTIONS_ELEMENTS} items [json-pointer:{pointer}/elements]"
        )
    for number, element in enumerate(elements):
        _check_element(element, f"{pointer}/elements/{number}", action_ids, problems)


def _check_element(element: Any, pointer: str, action_ids: set[str], problems: list[str]) -> None:
    if not isinstance(element, dict):
        problems.append(f"must be an object [json-pointer:{pointer}]")
        return
    kind = element.get("type")
    if kind not in KNOWN_ELEMENT_TYPES:
        problems.append(f"unsupported element type {kind!r} [json-pointer:{pointer}/type]")
        return
    if kind == "image":
        _check_image(element, pointer, problems)
        return
    # Slack asks for unique action_ids within a block; paperwire keeps them unique per message.
    _check_unique_id(element, "action_id", MAX_ACTION_ID, pointer, action_ids, problems)
    if kind == "button":
        _check_button(element, pointer, problems)


def _check_button(element: dict[str, Any], pointer: str, problems: list[str]) -> None:
    _check_text(element.get("text"), f"{pointer}/text", MAX_BUTTON_TEXT, problems, plain_only=True)
    if "url" in element:
        url = element["url"]
        if not isinstance(url, str) or not _URL_SCHEME.match(url):
            problems.append(f"must be a valid URL [json-pointer:{pointer}/url]")
        elif slack_length(url) > MAX_BUTTON_URL:
            problems.append(f"must be less than {MAX_BUTTON_URL + 1} characters [json-pointer:{pointer}/url]")
    if "value" in element:
        value = element["value"]
        if not isinstance(value, str):
            problems.append(f"must provide a string [json-pointer:{pointer}/value]")
        elif slack_length(value) > MAX_BUTTON_VALUE:
            problems.append(f"must be less than {MAX_BUTTON_VALUE + 1} characters [json-pointer:{pointer}/value]")
    if "style" in element and element["style"] not in ("primary", "danger"):
        problems.append(f"must be one of ['danger', 'primary'] [json-pointer:{pointer}/style]")


def _check_image(element: dict[str, Any], pointer: str, problems: list[str]) -> None:
    url = element.get("image_url")
    if "slack_file" not in element:
        if not isinstance(url, str) or not _URL_SCHEME.match(url):
            problems.append(f"must be a valid URL [json-pointer:{pointer}/image_url]")
        elif slack_length(url) > MAX_IMAGE_URL:
            problems.append(f"must be less than {MAX_IMAGE_URL + 1} characters [json-pointer:{pointer}/image_url]")
    alt_text = element.get("alt_text")
    if not isinstance(alt_text, str) or not alt_text:
        problems.append(f"must provide a non-empty string [json-pointer:{pointer}/alt_text]")
    elif slack_length(alt_text) > MAX_ALT_TEXT:
        problems.append(f"must be less than {MAX_ALT_TEXT + 1} characters [json-pointer:{pointer}/alt_text]")
