"""Two `paperwire serve` processes on one PostgreSQL: one digest per day, every message once,
one Telegram poller at a time, and the standby taking over when the poller dies."""

from __future__ import annotations

import asyncio
import inspect
import json
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from paperwire.bot.leader import Leadership
from paperwire.bot.store import outbox
from paperwire.bot.store.database import Database
from paperwire.bot.store.outbox import SENT
from paperwire.bot.store.schema import deliveries, digests
from tests.conftest import POSTGRES_URL, reset_postgres
from tests.fakes.hf import FakeHF
from tests.fakes.slack import SlackFake
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.service.conftest import ServeProcess, day_items, due_now_environment, yesterday_utc

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(POSTGRES_URL is None, reason="PAPERWIRE_TEST_DATABASE_URL is not set"),
]

TELEGRAM_CHATS = [str(8000 + n) for n in range(8)]
SLACK_CHANNELS = [f"C0TEAM{n}" for n in range(3)]


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float, what: str, *logs: ServeProcess
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        met = condition()
        if inspect.isawaitable(met):
            met = await met
        if met:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(p.log() for p in logs))
        await asyncio.sleep(0.1)


async def test_two_processes_share_one_database(hf: FakeHF, tmp_path: Path, serve_processes: list[ServeProcess]) -> None:
    assert POSTGRES_URL is not None
    await reset_postgres(POSTGRES_URL)
    day = yesterday_utc()
    hf.days[day] = day_items(day, 4)
    async with FakeTelegram(limits=RateLimits.off()) as telegram, SlackFake(rate_per_channel=50) as slack:
        environment = due_now_environment(
            hf.base_url,
            PAPERWIRE_DATABASE__URL=POSTGRES_URL,
            PAPERWIRE_TELEGRAM__TOKEN=telegram.token,
            PAPERWIRE_TELEGRAM__BASE_URL=telegram.base_url,
            PAPERWIRE_TELEGRAM__CHATS=json.dumps(TELEGRAM_CHATS),
            PAPERWIRE_TELEGRAM__RATE_PER_PRIVATE_CHAT="20",
            PAPERWIRE_SLACK__BOT_TOKEN=slack.bot_token,
            PAPERWIRE_SLACK__APP_TOKEN=slack.app_token,
            PAPERWIRE_SLACK__BASE_URL=slack.base_url,
            PAPERWIRE_SLACK__CHANNELS=json.dumps(SLACK_CHANNELS),
            PAPERWIRE_SLACK__RATE_PER_CHANNEL="20",
        )
        one = ServeProcess(environment, tmp_path / "one.log").start()
        two = ServeProcess(environment, tmp_path / "two.log").start()
        serve_processes.extend([one, two])
        await asyncio.gather(one.wait_healthy(), two.wait_healthy())

        db = Database(POSTGRES_URL)
        try:

            async def all_sent() -> bool:
                async with db.connect() as connection:
                    statuses = dict(
                        (await connection.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status))).all()
                    )
                planned = sum(statuses.values())
                return planned > 0 and statuses.get(SENT) == planned and len(telegram.sent) + len(slack.posted) >= planned

            await wait_for(all_sent, 30, "every message to be sent", one, two)
            async with db.connect() as connection:
                digest_rows = (await connection.execute(select(digests.c.list_day, digests.c.language, digests.c.topics_key))).all()
                planned = (await connection.execute(select(deliveries.c.platform, deliveries.c.chat_id, outbox.row_payload().label("payload")))).all()
        finally:
            await db.close()

        # One digest for the day, whichever process built it first.
        assert [tuple(row) for row in digest_rows] == [(day, "en", "")]
        # Every planned message went out once: no chat got anything twice.
        sent_telegram = Counter((str(message["chat"]), message["text"]) for message in telegram.sent)
        sent_slack = Counter((message["channel"], message["text"]) for message in slack.posted)
        assert set(sent_telegram.values()) == {1} and set(sent_slack.values()) == {1}
        assert sent_telegram == Counter((row.chat_id, row.payload["text"]) for row in planned if row.platform == "telegram")
        assert sent_slack == Counter((row.chat_id, row.payload["text"]) for row in planned if row.platform == "slack")
        assert {chat for chat, _ in sent_telegram} == set(TELEGRAM_CHATS)
        assert {channel for channel, _ in sent_slack} == set(SLACK_CHANNELS)

        # Exactly one process polls Telegram; the other stands by. Both hold a Slack socket.
        states = {}
        for process in (one, two):
            answer = await process.health()
            assert answer is not None
            states[process] = answer[1]["parts"]["telegram"]
            assert answer[1]["parts"]["slack"] == "ok (Socket Mode)", answer
        assert len(slack.events.connections) == 2
        ack = await slack.wait_for_ack(await slack.send_slash_command(text="help", channel_id=SLACK_CHANNELS[0]))
        assert ack.envelope_id
        pollers = [process for process, state in states.items() if state == "ok (polling)"]
        assert len(pollers) == 1, states
        poller = pollers[0]
        standby = two if poller is one else one
        assert states[standby].startswith("ok (standby")
        assert telegram.conflicts == 0

        # The poller dies without a goodbye; the standby takes over and answers commands.
        poller.kill()

        async def standby_polls() -> bool:
            answer = await standby.health()
            return answer is not None and answer[1]["parts"]["telegram"] == "ok (polling)"

        await wait_for(standby_polls, 20, "the standby to take over polling", standby)
        before = len(telegram.sent)
        telegram.message_update(int(TELEGRAM_CHATS[0]), "/help")

        async def answered() -> bool:
            return len(telegram.sent) > before

        await wait_for(answered, 15, "the new poller to answer /help", standby)
        assert telegram.conflicts == 0
        code, _ = await standby.stop(signal.SIGTERM)
        assert code == 0, standby.log()


async def test_leadership_passes_to_the_standby_when_the_leader_stops() -> None:
    assert POSTGRES_URL is not None
    await reset_postgres(POSTGRES_URL)
    databases = [Database(POSTGRES_URL), Database(POSTGRES_URL)]
    events: list[str] = []

    def actions(name: str):  # type: ignore[no-untyped-def]
        async def elected() -> None:
            events.append(f"{name} leads")

        async def deposed() -> None:
            events.append(f"{name} steps down")

        return elected, deposed

    leaders = [Leadership(db, "test-lock", retry_seconds=0.1, check_seconds=0.1) for db in databases]
    stops = [asyncio.Event(), asyncio.Event()]
    first = asyncio.create_task(leaders[0].run(stops[0], *actions("first")))
    await wait_for(lambda: leaders[0].role == "leader", 5, "the first to lead")
    second = asyncio.create_task(leaders[1].run(stops[1], *actions("second")))
    await wait_for(lambda: leaders[1].role == "standby", 5, "the second to stand by")
    stops[0].set()
    await first
    await wait_for(lambda: leaders[1].role == "leader", 5, "the second to take over")
    stops[1].set()
    await second
    for db in databases:
        await db.close()
    # Never two leaders at once: the first stepped down before the second was elected.
    assert events == ["first leads", "first steps down", "second leads", "second steps down"]

