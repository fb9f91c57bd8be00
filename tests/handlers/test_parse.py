"""The command-line parser: every command's forms, the Telegram and Slack spellings, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.handlers.commands import COMMANDS, parse_command
from paperwire.handlers.parse import (
    MAX_DAYS,
    DayRef,
    DigestCommand,
    ExcludedCommand,
    HelpCommand,
    PaperCommand,
    ParseError,
    SearchCommand,
    SettingsCommand,
    SubscribeCommand,
    Today,
    TopicCommand,
    TopicsCommand,
    TrendsCommand,
    UnsubscribeCommand,
)
from paperwire.handlers.messages import EN


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("today", Today()),
        ("/today", Today()),
        ("/TODAY@PaperwireBot", Today()),
        ("  Today  ", Today()),
        ("papers today", Today()),
        ("digest", DigestCommand()),
        ("digest 2026-02-20", DigestCommand(DayRef("date", date(2026, 2, 20)))),
        ("digest Yesterday", DigestCommand(DayRef("yesterday"))),
        ("yesterday", DigestCommand(DayRef("yesterday"))),
        ("excluded today", ExcludedCommand(DayRef("today"))),
        ("excluded", ExcludedCommand()),
        ("search sparse attention", SearchCommand("sparse attention")),
        ('search "kv cache"', SearchCommand("kv cache")),
        ("topics", TopicsCommand()),
        ("topic agentic-rl", TopicCommand("agentic-rl", 7)),
        ("topic Efficient LLM 30", TopicCommand("Efficient LLM", 30)),
        ("topic 3", TopicCommand("3", 7)),
        ("trends", TrendsCommand(7)),
        ("trends 90", TrendsCommand(90)),
        ("subscribe", SubscribeCommand()),
        ("subscribe agentic-rl, efficient-llm", SubscribeCommand(("agentic-rl", "efficient-llm"))),
        ("unsubscribe", UnsubscribeCommand()),
        ("settings", SettingsCommand()),
        ("settings time 9:05 tz Asia/Shanghai lang ZH", SettingsCommand("09:05", "Asia/Shanghai", "zh")),
        ("settings lang en", SettingsCommand(None, None, "en")),
        ("help", HelpCommand()),
        ("/start", HelpCommand()),
        ("help search", HelpCommand("search")),
        ("help nothing", HelpCommand(unknown="nothing")),
    ],
)
def test_commands(line: str, expected: object) -> None:
    assert parse_command(line) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2602.13515",
        "2602.13515v2",
        "arXiv:2602.13515",
        "https://arxiv.org/abs/2602.13515",
        "https://arxiv.org/pdf/2602.13515v2",
        "https://arxiv.org/html/2602.13515v1",
        "https://huggingface.co/papers/2602.13515",
        "<https://arxiv.org/abs/2602.13515|arXiv>",
    ],
)
def test_every_id_form_names_the_paper(text: str) -> None:
    assert parse_command(f"paper {text}") == PaperCommand(text, "2602.13515")


def test_old_style_ids_and_bare_ids_on_their_own() -> None:
    assert parse_command("paper cs/0501001") == PaperCommand("cs/0501001", "cs/0501001")
    assert parse_command("2602.13515v3") == PaperCommand("2602.13515v3", "2602.13515")
    assert parse_command("https://arxiv.org/abs/2602.13515") == PaperCommand(
        "https://arxiv.org/abs/2602.13515", "2602.13515"
    )


def test_title_words_and_links_that_name_no_paper() -> None:
    assert parse_command("paper Sparse attention for all") == PaperCommand("Sparse attention for all")
    assert parse_command("paper https://arxiv.org/abs/nonsense") == PaperCommand(
        "https://arxiv.org/abs/nonsense", None, looks_like_link=True
    )


@pytest.mark.parametrize(
    ("line", "problem", "command"),
    [
        ("", "empty", None),
        ("   \n\t ", "empty", None),
        ("frobnicate", "unknown_command", None),
        ("today please", "no_arguments", "today"),
        ("digest 2026-02-30", "bad_date", "digest"),
        ("digest last week", "bad_date", "digest"),
        ("excluded 20260220", "bad_date", "excluded"),
        ("paper", "missing_argument", "paper"),
        ("search", "missing_argument", "search"),
        ("search ?!", "missing_argument", "search"),
        ("topic", "missing_argument", "topic"),
        ("topic vla 0", "bad_days", "topic"),
        (f"topic vla {MAX_DAYS + 1}", "bad_days", "topic"),
        ("trends -3", "bad_days", "trends"),
        ("trends ٣", "bad_days", "trends"),
        ("settings time", "setting_needs_value", "settings"),
        ("settings colour blue", "bad_setting", "settings"),
        ("settings time 25:00", "bad_time", "settings"),
        ("settings time noon", "bad_time", "settings"),
        ("settings tz Mars/Olympus", "bad_timezone", "settings"),
        ("settings tz ../../etc/passwd", "bad_timezone", "settings"),
        ("settings lang fr", "bad_language", "settings"),
    ],
)
def test_bad_lines_say_what_is_wrong(line: str, problem: str, command: str | None) -> None:
    error = parse_command(line)

    assert isinstance(error, ParseError)
    assert (error.problem, error.command) == (problem, command)
    assert problem in EN


def test_arguments_over_the_limit_are_refused() -> None:
    assert parse_command("search " + "a" * 300, max_argument_length=300) == SearchCommand("a" * 300)
    error = parse_command("search " + "a" * 301, max_argument_length=300)
    assert isinstance(error, ParseError) and error.problem == "too_long"
    huge = parse_command("search " + "word " * 100_000, max_argument_length=300)
    assert isinstance(huge, ParseError) and huge.problem == "too_long"


def test_control_characters_do_not_reach_the_arguments() -> None:
    assert parse_command("search kv\x00cache\u2028now") == SearchCommand("kv cache now")


def test_every_command_has_usage_text() -> None:
    for name in COMMANDS:
        assert f"usage_{name}" in EN and f"about_{name}" in EN


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.tuples(st.sampled_from([*COMMANDS, "/start", "/paper@bot", "papers"]), st.text()).map(" ".join),
    )
)
def test_the_parser_answers_any_text(line: str) -> None:
    result = parse_command(line, max_argument_length=50)

    assert result is not None
    if isinstance(result, ParseError):
        assert result.problem in EN


def test_any_unicode_space_separates_the_command() -> None:
    assert parse_command("search\u3000稀疏注意力") == SearchCommand("稀疏注意力")
    assert parse_command("papers\u00a0topics") == TopicsCommand()
