"""`paperwire ask "<command line>"` end to end: every command on a store the fixtures fill."""

from __future__ import annotations

import asyncio

import pytest

from paperwire.bot import cli
from paperwire.bot.ask import chat_address
from paperwire.bot.store.database import Database
from paperwire.bot.store.subscriptions import Subscription, get_subscription
from paperwire.config.settings import load_settings
from tests.fakes.hf import FakeHF, make_paper
from tests.handlers.conftest import fill_store_at, serve_in_thread


def run_ask(capsys: pytest.CaptureFixture[str], line: str, *options: str) -> tuple[int, str]:
    """Run `paperwire ask [options] line`; (exit code, stdout)."""
    code = cli.main(["ask", *options, line])
    return code, capsys.readouterr().out


@pytest.fixture
def filled() -> None:
    asyncio.run(fill_store_at(load_settings().database_url))


@pytest.mark.usefixtures("filled")
def test_today_and_yesterday(capsys: pytest.CaptureFixture[str]) -> None:
    code, today = run_ask(capsys, "today")
    _, yesterday = run_ask(capsys, "/digest@PaperwireBot yesterday")

    assert code == 0
    assert today.startswith("# Daily AI Papers - 2026-02-20\n")
    assert "QuantFast" in today and "`excluded 2026-02-19`" in today
    assert yesterday.startswith("# Daily AI Papers - 2026-02-19\n") and "SparseKV" in yesterday


@pytest.mark.usefixtures("filled")
def test_digest_of_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_ask(capsys, "digest 2026-02-20")

    assert code == 0 and out.startswith("# Daily AI Papers - 2026-02-21\n") and "TreeDraft" in out
    code, out = run_ask(capsys, "digest 2024-01-01")
    assert code == 0 and "No Daily Papers list is stored for 2024-01-01" in out


@pytest.mark.usefixtures("filled")
def test_paper_by_id_and_by_title(capsys: pytest.CaptureFixture[str]) -> None:
    code, by_id = run_ask(capsys, "paper https://arxiv.org/abs/2602.10004v2")
    _, by_title = run_ask(capsys, "paper WebPilot")

    assert code == 0
    assert by_id.startswith("### GraspVLA: A Vision-Language-Action Model for Robotic Manipulation\n")
    assert "**Topic**: VLA / Embodied agents · ⭐⭐ Optional" in by_id
    assert by_title.startswith("### WebPilot: An LLM Agent for Web Navigation with Tool Calling\n")


@pytest.mark.usefixtures("filled")
def test_search(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_ask(capsys, "search speculative decoding")

    assert code == 0
    assert out.splitlines()[0] == "## Search: speculative decoding"
    assert "1. [TreeDraft: Speculative Decoding with Draft Model Trees]" in out
    assert "2026-02-20 · Efficient LLM" in out


@pytest.mark.usefixtures("filled")
def test_topics_topic_and_trends(capsys: pytest.CaptureFixture[str]) -> None:
    _, topics = run_ask(capsys, "topics")
    _, topic = run_ask(capsys, "topic World Models 30")
    _, trends = run_ask(capsys, "trends 3")

    assert "| `world-models` | World Models | 1 |" in topics
    # One window for all three: the last N stored list days, stated in the reply.
    assert "over the last 3 list days (2026-02-18 to 2026-02-20)" in topics
    assert topic.splitlines()[0] == "## World Models: the last 3 list days (2026-02-18 to 2026-02-20)"
    assert "DreamWorld" in topic and "⭐⭐" in topic
    assert "the last 3 list days (2026-02-18 to 2026-02-20)" in trends and "| World Models | 1 | 0.3 |" in trends


@pytest.mark.usefixtures("filled")
def test_excluded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_ask(capsys, "excluded 2026-02-18")

    assert code == 0
    assert out.splitlines()[0] == "## Excluded papers · 2026-02-18"
    assert "DiffuseAll" in out and "image/video generation" in out


@pytest.mark.usefixtures("filled")
def test_subscribe_settings_unsubscribe_for_a_real_chat(capsys: pytest.CaptureFixture[str]) -> None:
    chat = ("--chat", "telegram:-1001234")
    code, subscribed = run_ask(capsys, "subscribe efficient-llm 智能体强化学习", *chat)
    _, changed = run_ask(capsys, "settings time 08:15 tz Europe/Berlin lang zh", *chat)
    _, shown = run_ask(capsys, "settings", *chat)
    _, stopped = run_ask(capsys, "unsubscribe", *chat)
    _, elsewhere = run_ask(capsys, "settings")

    assert code == 0 and subscribed.startswith("This chat now gets the digest.")
    assert "- **Topics**: Efficient LLM, Agentic RL" in subscribed
    assert changed.startswith("设置已保存。") and "- **推送时间**: 08:15" in changed
    assert "- **时区**: Europe/Berlin" in shown
    assert "本会话已停止接收日报" in stopped  # the chat's language sticks
    assert "not subscribed" in elsewhere  # the cli chat is another chat
    stored = asyncio.run(stored_subscription("telegram", "-1001234"))
    assert stored is not None and not stored.active
    assert stored.topics == ["efficient-llm", "agentic-rl"]
    assert (stored.delivery_time, stored.timezone) == ("08:15", "Europe/Berlin")
    assert stored.chat_kind == "unknown"  # the CLI cannot tell a channel from a group


async def stored_subscription(platform: str, chat_id: str) -> Subscription | None:
    db = Database(load_settings().database_url)
    try:
        async with db.connect() as connection:
            return await get_subscription(connection, platform, chat_id)
    finally:
        await db.close()


@pytest.mark.usefixtures("filled")
def test_help_language_and_usage_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, help_zh = run_ask(capsys, "help", "--lang", "zh")
    unknown_code, unknown = run_ask(capsys, "frobnicate")
    bad_code, bad = run_ask(capsys, "settings tz Nowhere/City")

    assert code == 0 and help_zh.startswith("## 命令\n")
    assert unknown_code == 2 and "frobnicate" in unknown
    assert bad_code == 2 and "tz Europe/Berlin" in bad


def test_an_empty_store_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_ask(capsys, "today")

    assert code == 0
    assert out == "No digest has been published yet.\nNo Daily Papers lists are stored yet.\n"


@pytest.mark.usefixtures("filled")
def test_on_demand_lookup_through_the_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHF()
    fake.papers["2603.00042"] = make_paper(
        "2603.00042",
        "KVTrim: Pruning the KV Cache",
        "We propose KVTrim, a kv cache pruning method for long context inference.",
    )
    with serve_in_thread(fake):
        monkeypatch.setenv("PAPERWIRE_SOURCES__HF_BASE_URL", fake.base_url)
        monkeypatch.setenv("PAPERWIRE_SOURCES__MAX_RETRIES", "0")
        code, first = run_ask(capsys, "paper arXiv:2603.00042")
        _, second = run_ask(capsys, "paper 2603.00042v1")

    assert code == 0
    assert first.startswith("### KVTrim: Pruning the KV Cache\n") and "**Topic**: Efficient LLM" in first
    assert "Looked up on demand" in first
    assert second == first
    assert fake.count("/api/papers") == 1


def test_chat_addresses() -> None:
    assert chat_address(None) == ("cli", "cli")
    assert chat_address("telegram:-100123") == ("telegram", "-100123")
    assert chat_address("Slack:C0123") == ("slack", "C0123")
    assert chat_address("matrix:room") == ("cli", "matrix:room")


def test_an_overlong_chat_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "--chat", "telegram:" + "9" * 101, "settings"]) == 2
    assert "at most 100 characters" in capsys.readouterr().err
