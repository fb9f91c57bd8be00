"""The outbox worker: order per chat, retries, gone and moved chats, crashes, shutdown.

The sender here is a scripted platform, not our code: the Telegram and Slack senders are
tested against their HTTP fakes in their own modules.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from paperwire.bot.delivery.worker import (
    ChatGone,
    ChatMoved,
    DeliveryWorker,
    InDoubt,
    PlatformStopped,
    Rejected,
    RetryLater,
    Sent,
    SendOutcome,
    worker_name,
)
from paperwire.bot.models import Curation
from paperwire.bot.store import outbox
from paperwire.bot.store.curation import save_curation
from paperwire.bot.store.database import Database
from paperwire.bot.store.digests import create_digest
from paperwire.bot.store.outbox import Delivery
from paperwire.bot.store.schema import deliveries

DAY = date(2026, 2, 20)


class ScriptedPlatform:
    """A platform that records sends and answers from a per-chat script."""

    platform = "test"
    platform_rate = 1000.0

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str | None]] = []
        self.script: dict[str, list[SendOutcome]] = defaultdict(list)

    def chat_rate(self, chat_id: str) -> float:
        return 1000.0

    async def send(self, delivery: Delivery) -> SendOutcome:
        if self.script[delivery.chat_id]:
            outcome = self.script[delivery.chat_id].pop(0)
            if not isinstance(outcome, Sent):
                return outcome
        self.sent.append((delivery.chat_id, delivery.message_index, delivery.parent_remote_id))
        return Sent(remote_id=f"{delivery.chat_id}:{delivery.message_index}")


async def make_digest(db: Database) -> int:
    async with db.begin() as connection:
        await save_curation(connection, Curation(DAY, [], []), taxonomy_fingerprint="x", max_papers=6)
        record = await create_digest(
            connection, list_day=DAY, language="en", topics=(), published_on=DAY + timedelta(days=1), stats={}
        )
    return record.id


async def plan(db: Database, digest_id: int, chats: list[str], messages: int = 3) -> None:
    async with db.begin() as connection:
        for chat in chats:
            added = await outbox.plan_messages(
                connection,
                digest_id=digest_id,
                platform="test",
                chat_id=chat,
                payloads=[{"text": f"m{index}"} for index in range(messages)],
            )
            assert added == messages


async def statuses(db: Database) -> dict[tuple[str, int], str]:
    async with db.connect() as connection:
        rows = await connection.execute(select(deliveries.c.chat_id, deliveries.c.message_index, deliveries.c.status))
        return {(chat, index): status for chat, index, status in rows}


def worker(db: Database, platform: ScriptedPlatform, **options: object) -> DeliveryWorker:
    return DeliveryWorker(db, platform, poll_seconds=0.02, backoff_base=0.01, **options)  # type: ignore[arg-type]


async def run_until_idle(w: DeliveryWorker, timeout: float = 20) -> None:
    await asyncio.wait_for(w.run(asyncio.Event(), until_idle=True), timeout)


async def test_each_chat_gets_its_messages_in_order_once(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a", "b", "c"])
    await plan_again_adds_nothing(db, digest_id)
    platform = ScriptedPlatform()
    await run_until_idle(worker(db, platform))
    for chat in "abc":
        mine = [(index, parent) for c, index, parent in platform.sent if c == chat]
        assert [index for index, _ in mine] == [0, 1, 2]
        assert [parent for _, parent in mine] == [None, f"{chat}:0", f"{chat}:0"]
    assert set((await statuses(db)).values()) == {"sent"}


async def plan_again_adds_nothing(db: Database, digest_id: int) -> None:
    async with db.begin() as connection:
        again = await outbox.plan_messages(
            connection, digest_id=digest_id, platform="test", chat_id="a", payloads=[{"text": "x"}] * 3
        )
    assert again == 0


async def test_retry_later_then_sent(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a"], messages=2)
    platform = ScriptedPlatform()
    platform.script["a"] = [RetryLater(after=0.05, reason="429: too many requests"), Sent(None)]
    await run_until_idle(worker(db, platform))
    assert [index for _, index, _ in platform.sent] == [0, 1]


async def test_gives_up_after_max_attempts(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a"], messages=2)
    platform = ScriptedPlatform()
    platform.script["a"] = [RetryLater(after=0.0, reason="500: server error")] * 3
    await run_until_idle(worker(db, platform, max_attempts=3))
    assert await statuses(db) == {("a", 0): "failed", ("a", 1): "sent"}


async def test_gone_chat_is_cancelled_and_others_go_on(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a", "b"])
    platform = ScriptedPlatform()
    platform.script["a"] = [ChatGone("Forbidden: bot was blocked by the user")]
    gone: list[tuple[str, str, str]] = []

    async def on_gone(p: str, chat: str, why: str) -> None:
        gone.append((p, chat, why))

    await run_until_idle(worker(db, platform, on_chat_gone=on_gone))
    result = await statuses(db)
    assert [result[("a", i)] for i in range(3)] == ["cancelled"] * 3
    assert [result[("b", i)] for i in range(3)] == ["sent"] * 3
    assert gone == [("test", "a", "Forbidden: bot was blocked by the user")]


async def test_moved_chat_follows_its_new_id(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["-100"])
    platform = ScriptedPlatform()
    platform.script["-100"] = [ChatMoved("-1009")]
    await run_until_idle(worker(db, platform))
    assert [(chat, index) for chat, index, _ in platform.sent] == [("-1009", 0), ("-1009", 1), ("-1009", 2)]


async def test_rejected_message_fails_alone(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a"])
    platform = ScriptedPlatform()
    platform.script["a"] = [Rejected("Bad Request: can't parse entities")]
    await run_until_idle(worker(db, platform))
    assert await statuses(db) == {("a", 0): "failed", ("a", 1): "sent", ("a", 2): "sent"}


async def test_platform_stop_keeps_everything_queued(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a", "b"])
    platform = ScriptedPlatform()
    platform.script["a"] = [PlatformStopped("token_revoked")]
    platform.script["b"] = [PlatformStopped("token_revoked")]
    w = worker(db, platform, concurrency=1)
    await asyncio.wait_for(w.run(asyncio.Event()), 10)
    assert w.stopped_reason == "token_revoked"
    assert "sent" not in set((await statuses(db)).values()) or len(platform.sent) <= 1
    async with db.connect() as connection:
        assert await outbox.open_count(connection, platform="test") >= 5


@pytest.mark.parametrize("policy", ["resend", "skip"])
async def test_in_flight_at_a_crash_follows_the_policy(db: Database, policy: str) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a"])
    # A worker claimed message 0 and died: its lease is left behind, already expired.
    async with db.begin() as connection:
        claimed = await outbox.claim_due(connection, platform="test", worker="dead", limit=10)
        await connection.execute(
            update(deliveries)
            .where(deliveries.c.id == claimed[0].id)
            .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert [d.message_index for d in claimed] == [0]
    platform = ScriptedPlatform()
    await run_until_idle(worker(db, platform, in_flight=policy))
    indexes = [index for _, index, _ in platform.sent]
    if policy == "resend":
        assert indexes == [0, 1, 2]
    else:
        assert indexes == [1, 2]
        assert (await statuses(db))[("a", 0)] == "abandoned"


async def test_stop_releases_claims(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, [str(i) for i in range(20)], messages=1)

    class SlowPlatform(ScriptedPlatform):
        async def send(self, delivery: Delivery) -> SendOutcome:
            await asyncio.sleep(30)
            return Sent(None)

    stop = asyncio.Event()
    w = worker(db, SlowPlatform(), concurrency=5, drain_grace=0.2)
    task = asyncio.create_task(w.run(stop))
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(task, 15)
    assert set((await statuses(db)).values()) == {"pending"}


async def test_moving_to_a_chat_that_already_has_the_messages_sends_them_once(db: Database) -> None:
    digest_id = await make_digest(db)
    # The old group id is still configured, and the new supergroup id is subscribed too.
    await plan(db, digest_id, ["-100", "-1009"])
    platform = ScriptedPlatform()
    platform.script["-100"] = [ChatMoved("-1009")]
    await run_until_idle(worker(db, platform), timeout=10)
    assert sorted(index for chat, index, _ in platform.sent if chat == "-1009") == [0, 1, 2]
    assert [chat for chat, _, _ in platform.sent].count("-100") == 0
    result = await statuses(db)
    assert [result[("-100", i)] for i in range(3)] == ["cancelled"] * 3


def test_every_worker_has_its_own_name() -> None:
    names = {worker_name("telegram"), worker_name("telegram"), worker_name("slack")}
    assert len(names) == 3
    host, pid, platform, _ = worker_name("slack").rsplit(":", 3)
    assert platform == "slack" and pid == str(os.getpid()) and host


async def test_releasing_claims_touches_only_this_workers_rows_on_its_platform(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a"])
    async with db.begin() as connection:
        await outbox.plan_messages(
            connection, digest_id=digest_id, platform="other", chat_id="a", payloads=[{"text": "x"}]
        )
        mine = await outbox.claim_due(connection, platform="test", worker="w", limit=10)
        theirs = await outbox.claim_due(connection, platform="other", worker="w", limit=10)
        assert mine and theirs
        assert await outbox.release_claims(connection, "w", "test") == len(mine)
        still = await connection.execute(select(deliveries.c.status).where(deliveries.c.platform == "other"))
        assert set(still.scalars()) == {"sending"}


@pytest.mark.parametrize("policy", ["resend", "skip"])
async def test_a_send_without_an_answer_is_resent_at_most_once(db: Database, policy: str) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["a"], messages=1)
    platform = ScriptedPlatform()
    platform.script["a"] = [InDoubt("read timeout"), InDoubt("read timeout"), InDoubt("read timeout")]
    await run_until_idle(worker(db, platform, in_flight=policy, doubt_retry_seconds=0.01))
    async with db.connect() as connection:
        row = (await connection.execute(select(deliveries))).one()
    assert row.status == "in_doubt" and row.in_doubt
    assert row.attempts == (2 if policy == "resend" else 1)


async def test_a_chat_that_keeps_timing_out_is_paused_with_its_reason(db: Database) -> None:
    digest_id = await make_digest(db)
    await plan(db, digest_id, ["slow", "fine"], messages=4)
    platform = ScriptedPlatform()
    platform.script["slow"] = [InDoubt("read timeout")] * 10
    await run_until_idle(worker(db, platform, doubt_retry_seconds=0.01, pause_after_doubts=3))
    async with db.connect() as connection:
        rows = (await connection.execute(select(deliveries).where(deliveries.c.chat_id == "slow"))).all()
    assert "paused" in {row.status for row in rows}
    assert all("keeps" in (row.last_error or "") or "paused" in (row.last_error or "") for row in rows if row.status == "paused")
    assert [index for chat, index, _ in platform.sent if chat == "fine"] == [0, 1, 2, 3]
