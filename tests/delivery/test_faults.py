"""Delivery under faults, through `paperwire publish` against the Telegram and Slack fakes: answers
that never come, server errors after delivery, a chat that answers too slowly, a refused token
on one platform, both platforms at once, SIGTERM and kill -9 in the middle of a fan-out.

The rule they all check: nothing is lost, and a message is sent more than once only when the
answer to its send never came, and then at most twice.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from tests.delivery.publishing import CHATS, MESSAGES, PUBLISH, REPO, publish, telegram_env
from tests.delivery.stored import outbox_rows, texts_of
from tests.fakes.slack import SlackFake
from tests.fakes.telegram import FakeTelegram, RateLimits

CHANNELS = ["C1", "C2"]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=RateLimits.off()) as server:
        yield server


@pytest.fixture
async def slack() -> AsyncIterator[SlackFake]:
    async with SlackFake(rate_per_channel=math.inf, rate_per_workspace=math.inf) as server:
        yield server


def slack_env(monkeypatch: pytest.MonkeyPatch, fake: SlackFake, database_url: str) -> None:
    values = {
        "PAPERWIRE_SLACK__BOT_TOKEN": fake.bot_token,
        "PAPERWIRE_SLACK__BASE_URL": fake.base_url,
        "PAPERWIRE_SLACK__CHANNELS": '["C1", "C2"]',
        "PAPERWIRE_SLACK__RATE_PER_CHANNEL": "200",
        "PAPERWIRE_SLACK__RATE_PER_WORKSPACE": "1000",
        "PAPERWIRE_DATABASE__URL": database_url,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)



def copies(fake: FakeTelegram, chat: str) -> Counter[str]:
    return Counter(message["text"] for message in fake.sent_to(chat))


async def test_a_lost_answer_is_resent_once_and_counted_in_doubt(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    telegram_env(monkeypatch, telegram, database_url)
    telegram.lose_answers(1)
    assert await publish() == 0

    assert telegram.lost_answers == 1
    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows} == {"sent"}
    doubted = [row for row in rows if row["in_doubt"]]
    assert len(doubted) == 1
    for chat in CHATS:
        counts = copies(telegram, chat)
        assert set(counts) == set(texts_of(rows, chat))
        for text, count in counts.items():
            expected = 2 if any(row["chat_id"] == chat and row["payload"]["text"] == text for row in doubted) else 1
            assert count == expected
    assert "in doubt: 1 messages" in capsys.readouterr().out


async def test_a_server_error_after_delivery_is_sent_again_at_most_once(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    telegram_env(monkeypatch, telegram, database_url)
    telegram.fail_after_delivery(500, times=2)
    assert await publish() == 0

    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows} == {"sent"}
    for chat in CHATS:
        assert max(copies(telegram, chat).values()) <= 2
    assert sum(sum(copies(telegram, chat).values()) for chat in CHATS) == len(CHATS) * MESSAGES + 2


async def test_a_chat_that_answers_too_slowly_is_paused_and_holds_no_one_back(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Answers from -1001 take longer than the answer timeout: each send there is in doubt."""
    telegram_env(monkeypatch, telegram, database_url, PAPERWIRE_TELEGRAM__ANSWER_TIMEOUT_SECONDS="0.5")
    telegram.slow_chats[-1001] = 1.5
    async with asyncio.timeout(90):  # it returns: it does not retry the slow chat forever
        code = await publish()

    assert code == 1
    rows = await outbox_rows(database_url)
    slow = [row for row in rows if row["chat_id"] == "-1001"]
    assert {row["status"] for row in slow} <= {"in_doubt", "paused", "pending", "sent"}
    assert any(row["status"] == "paused" for row in slow)
    assert all("paused" in (row["last_error"] or "") for row in slow if row["status"] == "paused")
    assert max(copies(telegram, "-1001").values()) <= 2  # never three times
    # The other chats got everything, once.
    for chat in ("-1002", "4242"):
        assert copies(telegram, chat) == Counter(texts_of(rows, chat))
    out = capsys.readouterr().out
    assert "paused" in out and "in doubt:" in out


async def test_a_rerun_gives_a_paused_chat_one_try_and_pauses_it_again_at_once(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The operator publishes again while -1001 is still too slow: one send there, not another series."""
    telegram_env(monkeypatch, telegram, database_url, PAPERWIRE_TELEGRAM__ANSWER_TIMEOUT_SECONDS="0.5")
    telegram.slow_chats[-1001] = 1.5
    async with asyncio.timeout(90):
        assert await publish() == 1
    before = len(telegram.sent_to("-1001"))

    async with asyncio.timeout(90):
        assert await publish() == 1

    assert len(telegram.sent_to("-1001")) == before + 1
    assert max(copies(telegram, "-1001").values()) <= 2
    rows = await outbox_rows(database_url)
    assert any(row["status"] == "paused" for row in rows if row["chat_id"] == "-1001")

    # Once the chat answers in time, a rerun sends it everything that is left (its exit
    # status stays 1: the two sends whose answers never came are still in doubt).
    telegram.slow_chats.clear()
    async with asyncio.timeout(90):
        assert await publish() == 1
    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows if row["chat_id"] == "-1001"} <= {"sent", "in_doubt"}
    assert set(copies(telegram, "-1001")) == set(texts_of(rows, "-1001"))


async def test_both_platforms_send_each_message_once(
    telegram: FakeTelegram,
    slack: SlackFake,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> None:
    """Slack goes idle long before the slow Telegram sends end; it must not give them back."""
    telegram_env(monkeypatch, telegram, database_url)
    slack_env(monkeypatch, slack, database_url)
    telegram.delay = 0.2
    assert await publish() == 0

    rows = await outbox_rows(database_url)
    assert len(rows) == (len(CHATS) + len(CHANNELS)) * MESSAGES
    assert {row["status"] for row in rows} == {"sent"}
    for chat in CHATS:
        assert copies(telegram, chat) == Counter(texts_of(rows, chat))
    for channel in CHANNELS:
        assert len(slack.posted_to(channel)) == MESSAGES


async def test_a_refused_telegram_token_does_not_hold_back_slack(
    telegram: FakeTelegram,
    slack: SlackFake,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    telegram_env(monkeypatch, telegram, database_url, PAPERWIRE_TELEGRAM__TOKEN="42:not-the-token")
    slack_env(monkeypatch, slack, database_url)
    assert await publish() == 1  # the Telegram messages are still queued

    rows = await outbox_rows(database_url)
    by_platform = Counter((row["platform"], row["status"]) for row in rows)
    assert by_platform[("slack", "sent")] == len(CHANNELS) * MESSAGES
    # Still queued: each chat's first message due, the rest waiting behind it.
    assert by_platform[("telegram", "pending")] == len(CHATS)
    assert by_platform[("telegram", "waiting")] == len(CHATS) * (MESSAGES - 1)
    captured = capsys.readouterr()
    assert "slack: sent 14" in captured.out
    ours = [line for line in (captured.err + captured.out).splitlines() if "aiohttp.access" not in line]  # not the fakes'
    assert any("paperwire: telegram: Telegram refused the bot token" in line for line in ours)
    assert not [line for line in ours if "not-the-token" in line]


async def test_a_slack_overview_whose_answer_was_lost_is_found_and_its_cards_go_under_it(
    slack: SlackFake, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    slack_env(monkeypatch, slack, database_url)
    slack.lose_answers(1)  # the first post is the overview of a channel
    assert await publish() == 0

    assert slack.lost_answers == 1
    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows} == {"sent"}
    for channel in CHANNELS:
        top = [post for post in slack.posted_to(channel) if post["thread_ts"] is None]
        assert len(top) == 1, "the overview is in the channel once"
        assert len(slack.thread(channel, top[0]["ts"])) == MESSAGES - 1, "every card under it"
        overview = next(row for row in rows if row["chat_id"] == channel and row["message_index"] == 0)
        assert overview["remote_id"] == top[0]["ts"]


async def start_publish() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "paperwire.bot.cli", *PUBLISH,
        cwd=REPO, env=dict(os.environ), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def wait_for_sends(fake: FakeTelegram, count: int) -> None:
    async with asyncio.timeout(60):
        while len(fake.sent) < count:
            await asyncio.sleep(0.005)


async def test_sigterm_to_publish_waits_for_the_answers_and_a_rerun_sends_the_rest_once(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    telegram_env(monkeypatch, telegram, database_url)
    telegram.delay = 0.5  # sends are in flight when the signal lands, and their answers come
    process = await start_publish()
    try:
        await wait_for_sends(telegram, len(CHATS) + 1)
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1
    assert b"stopped by a signal" in stderr and b"Traceback" not in stderr
    rows = await outbox_rows(database_url)
    assert "sending" not in {row["status"] for row in rows}, "every send in flight was recorded"
    assert not any(row["in_doubt"] for row in rows)

    telegram.delay = 0.0
    assert await publish() == 0
    rows = await outbox_rows(database_url)
    for chat in CHATS:
        assert copies(telegram, chat) == Counter(texts_of(rows, chat)), "each message exactly once"


async def test_a_rerun_after_kill_9_takes_over_the_dead_senders_rows_at_once(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The leases are 120 s; the rerun does not wait for them: the dead process's rows are taken over."""
    telegram_env(monkeypatch, telegram, database_url)
    telegram.delay = 0.3
    process = await start_publish()
    try:
        await wait_for_sends(telegram, len(CHATS) + 2)
    finally:
        process.kill()
        await process.wait()
    telegram.delay = 0.0
    flying = {(row["chat_id"], row["message_index"]) for row in await outbox_rows(database_url) if row["status"] == "sending"}
    assert flying

    async with asyncio.timeout(60):
        assert await publish() == 0

    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows} == {"sent"}
    for chat in CHATS:
        counts = copies(telegram, chat)
        for index, text in enumerate(texts_of(rows, chat)):
            assert counts[text] == 1 or ((chat, index) in flying and counts[text] == 2)
