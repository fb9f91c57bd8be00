"""The reply tables: every key in both languages, with the same placeholders."""

from __future__ import annotations

import string

from paperwire.handlers.messages import EN, ZH, message


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_every_key_with_the_same_placeholders() -> None:
    assert EN.keys() == ZH.keys()
    for key in EN:
        assert _fields(EN[key]) == _fields(ZH[key]), key


def test_unknown_language_falls_back_to_english() -> None:
    assert message("fr", "subscribed") == EN["subscribed"]
    assert message("zh", "too_long", limit=300) == "输入过长：命令后最多 300 个字符。"
