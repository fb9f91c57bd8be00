"""Sentence splitting and number normalisation shared by the summarizers and the grounding check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwire.bot.summarize.sentences import (
    extract_numbers,
    normalize_space,
    numbers_supported,
    split_sentences,
    unsupported_numbers,
)

# ---------------------------------------------------------------- split_sentences


def test_split_keeps_abbreviations_and_decimals() -> None:
    text = (
        "Large models, e.g. GPT-style ones, reason well (Smith et al. 2024). "
        "Ours gets 9.8% vs. 7.1% on Bench-A, i.e. a gain. See Fig. 3 for details! Does it scale? Yes."
    )
    assert split_sentences(text) == [
        "Large models, e.g. GPT-style ones, reason well (Smith et al. 2024).",
        "Ours gets 9.8% vs. 7.1% on Bench-A, i.e. a gain.",
        "See Fig. 3 for details!",
        "Does it scale?",
        "Yes.",
    ]


def test_split_joins_hard_line_breaks() -> None:
    text = "We propose a\nnew method.\n\nIt works\r\nwell."
    assert split_sentences(text) == ["We propose a new method.", "It works well."]


def test_split_needs_a_capital_or_digit_to_start_a_sentence() -> None:
    assert split_sentences("It uses approx. three steps. and more") == ["It uses approx. three steps. and more"]
    assert split_sentences("Scores rose. 3 models failed.") == ["Scores rose.", "3 models failed."]


def test_split_handles_quotes_and_brackets_after_the_stop() -> None:
    text = 'They call it "slow." We disagree (strongly.) "Fast" is better.'
    assert split_sentences(text) == ['They call it "slow."', "We disagree (strongly.)", '"Fast" is better.']


def test_split_a_period_glued_to_the_next_sentence() -> None:
    assert split_sentences("It merges paths.ECHO then wins. See github.com/Org/repo.") == [
        "It merges paths.",
        "ECHO then wins.",
        "See github.com/Org/repo.",
    ]


def test_split_chinese() -> None:
    assert split_sentences("我们提出了新方法。它提升了 16.2 倍！是否通用？是的") == [
        "我们提出了新方法。",
        "它提升了 16.2 倍！",
        "是否通用？",
        "是的",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_split_empty(text: str) -> None:
    assert split_sentences(text) == []


def test_split_a_long_text_without_stops() -> None:
    text = "word " * 2000
    assert split_sentences(text) == [text.strip()]


_PIECES = st.sampled_from(
    ["We propose X.", "It gains 9.8% vs. 7.1%.", "e.g.", "et al.", "Fig. 2", " ", "\n", "1,000", "3.5x",
     "16.2 ×", "?", "!", "。", "Yes", "a.B", "1.2.3", "(1)", "...", "v2.5", "Model"]
)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=30).map("".join))
def test_split_loses_nothing_and_keeps_numbers(text: str) -> None:
    sentences = split_sentences(text)
    assert "".join("".join(sentences).split()) == "".join(text.split())
    for sentence in sentences:
        assert sentence and sentence == sentence.strip()
        assert sentence in normalize_space(text)
        assert numbers_supported(sentence, text)


# ---------------------------------------------------------------- extract_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16.2×", {"16.2x"}),
        ("16.2x faster", {"16.2x"}),
        ("16.2 x faster", {"16.2x"}),
        ("16.2X", {"16.2x"}),
        ("2.5$\\times$ speedup", {"2.5x"}),
        ("3 times faster", {"3x"}),
        ("8.7times faster", {"8.7x"}),
        ("a 4-fold gain", {"4x"}),
        ("提升 16.2 倍", {"16.2x"}),
        ("95%", {"95%"}),
        ("95 %", {"95%"}),
        ("95\\%", {"95%"}),
        ("95 percent", {"95%"}),
        ("95.0%", {"95%"}),
        ("1.5B parameters", {"1.5B"}),
        ("1.5b", {"1.5B"}),
        ("1.5 billion", {"1.5B"}),
        ("7k samples", {"7k"}),
        ("7K samples", {"7k"}),
        ("7 thousand", {"7k"}),
        ("70M", {"70M"}),
        ("2 million", {"2M"}),
        ("1T tokens", {"1T"}),
        ("1,000 tasks and 12,345,678 tokens", {"1000", "12345678"}),
        ("0.50 and 007", {"0.5", "7"}),
        ("Qwen2.5-7B", {"2.5", "7B"}),
        ("the 5th run, 3rd place, 2nd", {"5", "3", "2"}),
        ("16GB of memory", {"16"}),
        ("8bit weights", {"8"}),
        ("v1.2.3", {"1.2"}),
        ("-3.2 points, +4.1", {"3.2", "4.1"}),
        ("no numbers here", set()),
    ],
)
def test_extract_numbers(text: str, expected: set[str]) -> None:
    assert extract_numbers(text) == expected


def test_extract_numbers_returns_a_fresh_set() -> None:
    numbers = extract_numbers("9.8%")
    numbers.add("junk")
    assert extract_numbers("9.8%") == {"9.8%"}


# ---------------------------------------------------------------- numbers_supported


SOURCE = "Our model (1.5B) is 16.2× faster and reaches 95 % on Bench-7, up from 1,000 samples."


@pytest.mark.parametrize(
    "claim",
    [
        "A 1.5 billion parameter model.",
        "It is 16.2x faster.",
        "It is 16.2 times faster.",
        "It reaches 95%.",
        "It reaches 95.",  # a bare number matches the same value with a unit
        "Trained on 1000 samples.",
        "No figures at all.",
        "",
    ],
)
def test_numbers_supported(claim: str) -> None:
    assert numbers_supported(claim, SOURCE)
    assert unsupported_numbers(claim, SOURCE) == set()


@pytest.mark.parametrize(
    ("claim", "missing"),
    [
        ("It is 16.3x faster.", {"16.3x"}),
        ("It reaches 95x.", {"95x"}),  # a unit that is not the source's
        ("It reaches 96%.", {"96%"}),
        ("It uses 1.5M parameters.", {"1.5M"}),
        ("Over 2,000 samples.", {"2000"}),
        ("It is 16.2x faster with 3 heads.", {"3"}),
    ],
)
def test_numbers_not_supported(claim: str, missing: set[str]) -> None:
    assert not numbers_supported(claim, SOURCE)
    assert unsupported_numbers(claim, SOURCE) == missing
