"""The card document every target renders: one builder, one code link, one reason, one cut."""

from __future__ import annotations

import re

import pytest

from paperwire.bot.models import Exclusion
from paperwire.formatters.card import build_card, code_url, exclusion_reason
from paperwire.formatters.markdown import render_markdown
from paperwire.formatters.plain import render_view
from paperwire.formatters.slack import render_overview as slack_overview
from paperwire.formatters.telegram import render_overview as telegram_overview
from paperwire.bot.views import DigestView
from tests.formatters.conftest import TOPIC_NAMES, make_card, make_digest, make_entry, make_paper


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("https://github.com/example/x", "https://github.com/example/x"),
        ("example/x", "https://github.com/example/x"),
        (" example/x ", "https://github.com/example/x"),
        ("not a repo", None),
        ("javascript:alert(1)", None),
        ("https://x.org/a b", None),
        # Fully encoded: nothing that could close an HTML attribute, a mrkdwn link or a tag.
        ("https://github.com/a/b<script>", "https://github.com/a/b%3Cscript%3E"),
        ('https://x.org/q?a="1"|{2}`^\\', "https://x.org/q?a=%221%22%7C%7B2%7D%60%5E%5C"),
        ("https://x.org/papier‮", "https://x.org/papier%E2%80%AE"),
        ("https://x.org/a%20b?x=1&y=2#top", "https://x.org/a%20b?x=1&y=2#top"),
        ("", None),
        (None, None),
    ],
)
def test_code_url(repo: str | None, expected: str | None) -> None:
    assert code_url(repo) == expected


def test_document_drops_empty_fields_and_flattens_text() -> None:
    card = make_card(results=["", "  A\nresult. "], fits="", limitations=" ", next_action="Try it.")
    document = build_card(make_entry(1, card=card), "zh", TOPIC_NAMES["zh"])
    assert document.results == ("A result.",)
    assert [item.key for item in document.takeaways] == ["next_action"]
    assert document.topic_name == "智能体强化学习"
    assert [link.kind for link in document.links] == ["arxiv", "pdf", "hf"]


def test_authors_line_counts_or_says_et_al() -> None:
    paper = make_paper(1, authors=[f"A{n}" for n in range(12)])
    document = build_card(make_entry(1, paper=paper), "zh", TOPIC_NAMES["zh"])
    assert document.authors_line(3) == "A0, A1, A2, … (+9)"
    assert document.authors_line(3, et_al=True) == "A0, A1, A2 等"
    assert document.authors_line(20) == ", ".join(f"A{n}" for n in range(12))


def test_exclusion_reason_falls_back_to_english_then_the_kind() -> None:
    paper = make_paper(1)
    assert exclusion_reason(Exclusion(paper, "family", {"en": "off\ntopic"}), "zh") == "off topic"
    assert exclusion_reason(Exclusion(paper, "below_cut", {}), "en") == "below_cut"


# The bug that made the card one document: a long Chinese one-liner cut to "…达到16…" where
# the source says 16.25. No target may show a number the paper does not state.
_CLAIM = "在长上下文基准上准确率达到16.25%，比基线高出3.5个百分点。"


def _long_zh(filler: int) -> str:
    return "本文提出" + "稀" * filler + _CLAIM


def _cut_numbers(text: str) -> list[str]:
    """Every number that stands right before an ellipsis: what a cut left at its end."""
    return re.findall(r"(\d+(?:[.,]\d+)*)[.,]?…", text)


# The fillers put "16.25" across each target's one-liner budget (140, 200, 240 characters).
@pytest.mark.parametrize("filler", [119, 120, 121, 179, 180, 181, 219, 220, 221])
def test_no_target_shows_a_partial_number_of_a_long_one_liner(filler: int) -> None:
    one_liner = _long_zh(filler)
    entry = make_entry(1, card=make_card(one_liner=one_liner, core_innovation=one_liner))
    digest = make_digest("zh", entries=[entry])
    slack = slack_overview(digest, excluded_action_value="x")
    texts = {
        "slack": "\n".join(block["text"]["text"] for block in slack.blocks if block["type"] == "section"),
        "telegram": telegram_overview(digest, excluded_callback="x:1").text,
        "markdown": render_markdown(digest),
        "plain": render_view(DigestView("zh", digest)),
    }
    source_numbers = set(re.findall(r"\d+(?:\.\d+)?", one_liner))
    for target, text in texts.items():
        assert "本文提出" in text, target
        for number in _cut_numbers(text):
            assert number in source_numbers, (target, number)
