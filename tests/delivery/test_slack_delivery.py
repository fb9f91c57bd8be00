"""Slack delivery against the fake Web API: `paperwire publish` end to end, every failure the
issue names, a kill in the middle of a fan-out, and hostile paper text.

`bot.cli.main` runs in a thread (it calls asyncio.run itself) while the fake serves on the
test's event loop; the kill test runs `paperwire publish` as a real process and SIGKILLs it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from paperwire.bot.cli import main
from paperwire.bot.delivery.slack import (
    HEADROOM,
    IN_THREAD,
    PostPacing,
    SlackSender,
    make_client,
    preview_payload,
    render_payloads,
)
from paperwire.bot.delivery.worker import ChatGone, DeliveryWorker, PlatformStopped, Rejected, RetryLater, Sent
from paperwire.bot.models import Curation
from paperwire.bot.store import outbox, subscriptions
from paperwire.bot.store.curation import save_curation
from paperwire.bot.store.database import Database
from paperwire.bot.store.digests import create_digest
from paperwire.bot.store.outbox import Delivery
from paperwire.config.settings import SlackSettings
from paperwire.formatters.slack import validate_blocks
from tests.delivery.stored import expire_leases, outbox_rows, subscription_of, texts_of
from tests.fakes.slack import CHANNEL_ERRORS, SlackFake
from tests.fakes.slack_digests import hostile_entries, make_digest

REPO = Path(__file__).resolve().parents[2]
CHANNELS = ["C1", "C2", "C3"]
PUBLISH = ["publish", "--source", "sample", "--date", "2026-02-20"]
MESSAGES_PER_CHANNEL = 7  # the sample day: the overview and six cards


@pytest.fixture
async def fake() -> AsyncIterator[SlackFake]:
    async with SlackFake(rate_per_channel=math.inf, rate_per_workspace=math.inf) as server:
        yield server


@pytest.fixture
def publish_env(monkeypatch: pytest.MonkeyPatch, fake: SlackFake, database_url: str) -> dict[str, str]:
    """Settings for `paperwire publish` against the fake; paperwire's own pacing raised so tests run fast."""
    values = {
        "PAPERWIRE_SLACK__BOT_TOKEN": fake.bot_token,
        "PAPERWIRE_SLACK__BASE_URL": fake.base_url,
        "PAPERWIRE_SLACK__CHANNELS": '["C1", "C2", "C3"]',
        "PAPERWIRE_SLACK__RATE_PER_CHANNEL": "200",
        "PAPERWIRE_SLACK__RATE_PER_WORKSPACE": "1000",
        "PAPERWIRE_DATABASE__URL": database_url,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


async def publish(*extra: str) -> int:
    return await asyncio.to_thread(main, [*PUBLISH, *extra])


# ---------------------------------------------------------------- publish end to end


async def test_publish_threads_the_cards_under_the_overview_and_a_rerun_sends_nothing(
    fake: SlackFake, publish_env: dict[str, str], database_url: str
) -> None:
    assert await publish() == 0

    rows = await outbox_rows(database_url)
    assert len(rows) == len(CHANNELS) * MESSAGES_PER_CHANNEL
    for channel in CHANNELS:
        overview, *cards = fake.posted_to(channel)
        assert overview["thread_ts"] is None and overview["text"].startswith("Daily AI Papers - 2026-02-21")
        assert len(cards) == MESSAGES_PER_CHANNEL - 1
        assert [card["thread_ts"] for card in cards] == [overview["ts"]] * len(cards)
        assert [card["text"] for card in cards] == texts_of(rows, channel)[1:]
        # Each ts is recorded against its row: the outbox knows where every message went.
        recorded = [row["remote_id"] for row in rows if row["chat_id"] == channel]
        assert recorded == [overview["ts"], *(card["ts"] for card in cards)]
    assert {row["status"] for row in rows} == {"sent"}
    assert fake.rejected == [] and fake.rate_limited == 0

    posted = len(fake.posted)
    assert await publish() == 0
    assert len(fake.posted) == posted


async def test_cards_go_to_the_channel_when_threading_is_off(
    fake: SlackFake, publish_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERWIRE_SLACK__THREAD_CARDS", "false")

    assert await publish() == 0

    assert len(fake.posted) == len(CHANNELS) * MESSAGES_PER_CHANNEL
    assert all(post["thread_ts"] is None for post in fake.posted)


async def test_a_slack_subscription_gets_the_digest_in_its_topics(
    fake: SlackFake, publish_env: dict[str, str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`publish` delivers to subscriptions made in Slack, not only to `slack.channels`."""
    monkeypatch.setenv("PAPERWIRE_SLACK__CHANNELS", '["C1"]')
    db = Database(database_url)
    await db.start()
    try:
        async with db.begin() as connection:
            await subscriptions.upsert_subscription(connection, "slack", "C9", topics=["agentic-rl"], chat_kind="group")
    finally:
        await db.close()

    assert await publish() == 0

    assert len(fake.posted_to("C1")) == MESSAGES_PER_CHANNEL
    overview, *_ = fake.posted_to("C9")
    assert overview["text"].startswith("Daily AI Papers")
    assert "Agentic RL" in str(overview["blocks"])


@pytest.mark.parametrize("error", sorted(CHANNEL_ERRORS))
async def test_a_gone_channel_is_deactivated_and_the_others_get_everything(
    fake: SlackFake, publish_env: dict[str, str], database_url: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_channel("C2", error)

    with caplog.at_level(logging.WARNING):
        assert await publish() == 1

    rows = await outbox_rows(database_url)
    assert {row["status"] for row in rows if row["chat_id"] == "C2"} == {"cancelled"}
    assert {row["status"] for row in rows if row["chat_id"] != "C2"} == {"sent"}
    assert fake.posted_to("C2") == [] and len(fake.posted_to("C1")) == MESSAGES_PER_CHANNEL
    subscription = await subscription_of(database_url, "slack", "C2")
    assert subscription is not None and not subscription.active and subscription.deactivated_reason == error
    assert any("C2" in record.getMessage() and error in record.getMessage() for record in caplog.records)

    # Still off on the next run, even though the channel works again: the operator turns it on.
    fake.heal_channel("C2")
    await publish()
    assert fake.posted_to("C2") == []


@pytest.mark.parametrize("error", ["token_revoked", "invalid_auth"])
async def test_a_refused_token_stops_every_send_loudly_and_keeps_the_rows(
    fake: SlackFake, publish_env: dict[str, str], database_url: str, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.revoke(error)

    assert await publish() == 1

    rows = await outbox_rows(database_url)
    # Nothing sent, nothing given up: each channel's overview is due, its cards wait behind it.
    assert {row["status"] for row in rows if row["message_index"] == 0} == {"pending"}
    assert {row["status"] for row in rows if row["message_index"] > 0} == {"waiting"}
    assert fake.posted == []
    stops = [record for record in caplog.records if record.levelno == logging.CRITICAL]
    assert stops and "STOPPING ALL SENDS" in stops[0].getMessage() and error in stops[0].getMessage()
    assert fake.bot_token not in caplog.text
    for channel in CHANNELS:  # the channels did nothing wrong
        subscription = await subscription_of(database_url, "slack", channel)
        assert subscription is not None and subscription.active


async def test_a_server_error_is_retried(fake: SlackFake, publish_env: dict[str, str], database_url: str) -> None:
    fake.fail_next(500, times=2, method="chat.postMessage")

    assert await publish() == 0

    assert {row["status"] for row in await outbox_rows(database_url)} == {"sent"}
    assert len(fake.posted) == len(CHANNELS) * MESSAGES_PER_CHANNEL


async def test_dry_run_needs_no_token_and_sends_nothing(
    fake: SlackFake,
    publish_env: dict[str, str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("PAPERWIRE_SLACK__BOT_TOKEN")
    # A dry run writes nothing, migrations included: the database exists already, as after
    # any earlier run (a new SQLite file is read as an empty in-memory database instead).
    db = Database(database_url)
    await db.start()
    await db.close()

    assert await publish("--dry-run") == 0

    out = capsys.readouterr().out
    assert "=== slack C1 (en): 7 messages" in out and "(in the overview's thread)" in out
    assert fake.calls == []


# ---------------------------------------------------------------- rate limits


async def sample_digest_rows(db: Database, channels: list[str], messages: int = 2) -> list[int]:
    """A stored digest and `messages` planned posts per channel, without building anything."""
    day = datetime(2026, 2, 20).date()
    async with db.begin() as connection:
        await save_curation(connection, Curation(day, [], []), taxonomy_fingerprint="x", max_papers=6)
        record = await create_digest(
            connection, list_day=day, language="en", topics=(), published_on=day + timedelta(days=1), stats={}
        )
        for channel in channels:
            await outbox.plan_messages(
                connection,
                digest_id=record.id,
                platform="slack",
                chat_id=channel,
                payloads=[{"text": f"message {n}", "blocks": [], IN_THREAD: n > 0} for n in range(messages)],
            )
    return [record.id]


async def test_a_429_is_retried_no_sooner_than_retry_after(db: Database) -> None:
    """paperwire paces faster than this fake allows, so the second post meets a 429 with Retry-After: 2."""
    async with SlackFake(rate_per_channel=1.0, rate_per_workspace=math.inf) as strict:
        strict.retry_after = 2
        digest_ids = await sample_digest_rows(db, ["C1"])
        settings = SlackSettings(bot_token=strict.bot_token, base_url=strict.base_url, rate_per_channel=100)
        async with aiohttp.ClientSession() as session:
            sender = SlackSender(make_client(settings, session), settings)
            worker = DeliveryWorker(db, sender, poll_seconds=0.02, backoff_base=0.01)
            await asyncio.wait_for(worker.run(asyncio.Event(), digest_ids=digest_ids, until_idle=True), 20)

        assert strict.rate_limited >= 1
        first, second = strict.posted_to("C1")
        assert second["time"] - first["time"] >= 2.0 - 0.05
        assert second["thread_ts"] == first["ts"]


def delivery(payload: dict[str, Any], chat_id: str = "C1", index: int = 0, parent: str | None = None) -> Delivery:
    return Delivery(id=index + 1, digest_id=1, platform="slack", chat_id=chat_id, message_index=index,
                    payload=payload, attempts=1, parent_remote_id=parent)  # fmt: skip


@pytest.fixture
async def sender(fake: SlackFake) -> AsyncIterator[SlackSender]:
    settings = SlackSettings(
        bot_token=fake.bot_token, base_url=fake.base_url, rate_per_channel=1000, rate_per_workspace=1000
    )
    async with aiohttp.ClientSession() as session:
        yield SlackSender(make_client(settings, session), settings)


async def test_the_429_answer_becomes_retry_later_with_its_retry_after() -> None:
    async with SlackFake(rate_per_channel=0.01) as strict, aiohttp.ClientSession() as session:
        strict.retry_after = 7
        settings = SlackSettings(bot_token=strict.bot_token, base_url=strict.base_url, rate_per_channel=1000)
        sender = SlackSender(make_client(settings, session), settings)
        assert isinstance(await sender.send(delivery({"text": "one"})), Sent)

        outcome = await sender.send(delivery({"text": "two"}, index=1))

    assert isinstance(outcome, RetryLater) and outcome.after == 7.0 and outcome.reason.startswith("429")


async def test_posts_are_spaced_when_they_leave() -> None:
    """Late slots that bunch up leave no faster than the workspace cap; a channel's next post keeps its gap."""
    start = time.monotonic()
    workspace = PostPacing(per_channel=math.inf, per_workspace=20.0)
    departures: list[float] = []

    async def post(pacing: PostPacing, channel: str) -> None:
        await pacing.wait_turn(channel)
        departures.append(time.monotonic() - start)

    await asyncio.gather(*(post(workspace, f"C{n}") for n in range(25)))  # 25 posts at once, 20 a second
    assert len([at for at in departures if at < 0.9]) == 20 and min(departures[20:]) >= 0.95

    channel = PostPacing(per_channel=5.0, per_workspace=math.inf)
    departures.clear()
    await post(channel, "C1")
    await post(channel, "C2")  # another channel need not wait
    await post(channel, "C1")
    assert departures[1] - departures[0] < 0.05 and departures[2] - departures[0] >= 0.2 - 0.005


# ---------------------------------------------------------------- one message at a time


async def test_each_slack_failure_becomes_its_outcome(fake: SlackFake, sender: SlackSender) -> None:
    fake.fail_channel("C2", "not_in_channel")
    gone = await sender.send(delivery({"text": "x"}, chat_id="C2"))
    long_header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 200}}
    bad = await sender.send(delivery({"text": "x", "blocks": [long_header]}))
    fake.fail_next(503, method="chat.postMessage")
    busy = await sender.send(delivery({"text": "x"}))
    malformed = await sender.send(delivery({"blocks": "nope"}))
    fake.revoke("account_inactive")
    stopped = await sender.send(delivery({"text": "x"}))

    assert gone == ChatGone("not_in_channel")
    assert isinstance(bad, Rejected) and bad.reason.startswith("invalid_blocks: must be less than 151 characters")
    assert isinstance(busy, RetryLater) and busy.reason.startswith("503")
    assert isinstance(malformed, Rejected) and "malformed payload" in malformed.reason
    assert isinstance(stopped, PlatformStopped) and "account_inactive" in stopped.reason
    assert fake.bot_token not in stopped.reason


async def test_an_unreachable_slack_is_retried_later() -> None:
    settings = SlackSettings(bot_token="xoxb-any", base_url="http://127.0.0.1:9/api/")  # nothing listens on port 9
    async with aiohttp.ClientSession() as session:
        outcome = await SlackSender(make_client(settings, session), settings).send(delivery({"text": "x"}))
    assert isinstance(outcome, RetryLater) and outcome.reason.startswith("network")


async def test_a_card_without_an_overview_goes_to_the_channel(fake: SlackFake, sender: SlackSender) -> None:
    parent = await sender.send(delivery({"text": "overview", IN_THREAD: False}))
    assert isinstance(parent, Sent)

    threaded = await sender.send(delivery({"text": "card 1", IN_THREAD: True}, index=1, parent=parent.remote_id))
    orphan = await sender.send(delivery({"text": "card 2", IN_THREAD: True}, index=2, parent=None))

    assert isinstance(threaded, Sent) and isinstance(orphan, Sent)
    assert [post["thread_ts"] for post in fake.posted] == [None, parent.remote_id, None]


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_hostile_paper_text_is_accepted_by_slack(fake: SlackFake, sender: SlackSender, language: str) -> None:
    digest = make_digest(hostile_entries(), language=language)  # type: ignore[arg-type]
    payloads = render_payloads(digest)
    overview = await sender.send(delivery(payloads[0]))
    assert isinstance(overview, Sent)

    for index, payload in enumerate(payloads[1:], start=1):
        assert isinstance(await sender.send(delivery(payload, index=index, parent=overview.remote_id)), Sent)

    assert fake.rejected == []
    assert len(fake.thread("C1", str(overview.remote_id))) == len(payloads) - 1
    for post in fake.posted:
        assert "<!channel>" not in post["text"] and "<@U" not in post["text"]


def test_render_payloads_are_the_overview_then_the_cards_marked_for_the_thread() -> None:
    payloads = render_payloads(make_digest())

    assert len(payloads) == 7
    assert [payload[IN_THREAD] for payload in payloads] == [False] + [True] * 6
    for payload in payloads:
        assert validate_blocks(payload["blocks"]) == []
    assert payloads == render_payloads(make_digest())  # pure: the same digest, the same payloads


def test_preview_shows_the_text_and_the_buttons() -> None:
    overview, card, *_ = render_payloads(make_digest())

    assert preview_payload(overview).startswith("# Daily AI Papers - 2026-02-21")
    text = preview_payload(card)
    assert text.startswith("(in the overview's thread)\n# 1. TinyRouter-1")
    assert "[arXiv](https://arxiv.org/abs/2602.10001)" in text


def test_the_sender_paces_under_the_configured_limits() -> None:
    settings = SlackSettings(bot_token="xoxb-x", rate_per_channel=1.0, rate_per_workspace=100.0)
    sender = SlackSender(make_client(settings, None), settings)

    assert sender.platform == "slack"
    assert sender.platform_rate == pytest.approx(100.0 * HEADROOM)
    assert sender.chat_rate("C1") == pytest.approx(HEADROOM)


# ---------------------------------------------------------------- a kill mid fan-out


@pytest.mark.parametrize("in_flight", ["resend", "skip"])
async def test_a_killed_publish_rerun_sends_only_what_is_missing(
    fake: SlackFake, publish_env: dict[str, str], database_url: str, in_flight: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL `paperwire publish` mid fan-out, let the dead sender's leases run out, run it again.

    Nothing is lost and nothing is sent twice, except the messages that were in flight at
    the kill: with in_flight = "resend" those may arrive twice, with "skip" they are marked
    abandoned and may be missing. Cards always thread under the overview the outbox recorded.
    """
    monkeypatch.setenv("PAPERWIRE_SLACK__IN_FLIGHT", in_flight)
    fake.delay = 0.3  # every answer comes late, so posts are in flight when the kill lands
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "paperwire.bot.cli", *PUBLISH,
        cwd=REPO, env=dict(os.environ), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            # Some posts done, and at least one inside the fake's delay: its row is surely "sending".
            while len(fake.posted) < len(CHANNELS) + 1 or fake.calls.count("chat.postMessage") <= len(fake.posted):
                await asyncio.sleep(0.002)
    finally:
        process.kill()
        await process.wait()
    await asyncio.sleep(fake.delay + 0.1)  # posts the dead process left in flight land now, as with Slack
    fake.delay = 0.0

    rows = await outbox_rows(database_url)
    in_flight_rows = {(row["chat_id"], row["message_index"]) for row in rows if row["status"] == "sending"}
    assert in_flight_rows, "the kill should land while messages are in flight"
    assert len(fake.posted) < len(CHANNELS) * MESSAGES_PER_CHANNEL
    await expire_leases(database_url)

    code = await publish()

    rows = await outbox_rows(database_url)
    for channel in CHANNELS:
        expected = texts_of(rows, channel)
        assert len(expected) == MESSAGES_PER_CHANNEL
        posts = fake.posted_to(channel)
        counts = Counter(post["text"] for post in posts)
        for index, text in enumerate(expected):
            flying = (channel, index) in in_flight_rows
            if in_flight == "resend":
                assert counts[text] == 1 or (flying and counts[text] == 2), (channel, index, counts[text])
            else:
                assert counts[text] <= 1 and (counts[text] == 1 or flying), (channel, index, counts[text])
        overview_ts = next(row["remote_id"] for row in rows if row["chat_id"] == channel and row["message_index"] == 0)
        for post in posts:
            if post["text"] != expected[0]:  # a card: under the recorded overview, or in the channel without one
                assert post["thread_ts"] in ({overview_ts} if overview_ts else {None})
    statuses = Counter(row["status"] for row in rows)
    if in_flight == "resend":
        assert statuses == {"sent": len(CHANNELS) * MESSAGES_PER_CHANNEL} and code == 0
    else:
        abandoned = {(row["chat_id"], row["message_index"]) for row in rows if row["status"] == "abandoned"}
        assert abandoned == in_flight_rows
        assert statuses["sent"] == len(CHANNELS) * MESSAGES_PER_CHANNEL - len(abandoned)
        assert code == 1  # abandoned messages count as undelivered
