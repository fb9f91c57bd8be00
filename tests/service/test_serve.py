"""`paperwire serve` as a real process: healthy with nothing but SQLite, a clean stop on
SIGTERM, and a stop in the middle of a fan-out followed by a restart, with nothing lost or
sent twice."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from paperwire.bot.store import outbox
from paperwire.bot.store.database import Database
from paperwire.bot.store.outbox import SENDING, SENT
from paperwire.bot.store.schema import deliveries
from tests.fakes.hf import FakeHF
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.service.conftest import ServeProcess, day_items, due_now_environment, yesterday_utc

STOP_LIMIT = 10.0  # the promise for SIGTERM and SIGINT


def sqlite_database() -> Database:
    return Database(f"sqlite+aiosqlite:///{Path(os.environ['PAPERWIRE_DATA_DIR']) / 'paperwire.sqlite3'}")


async def outbox_rows(db: Database) -> list[tuple[str, int, str, str]]:
    """(chat id, message index, status, text) of every planned message."""
    async with db.connect() as connection:
        rows = await connection.execute(
            select(deliveries.c.chat_id, deliveries.c.message_index, deliveries.c.status, outbox.row_payload().label("payload")).order_by(
                deliveries.c.chat_id, deliveries.c.message_index
            )
        )
        return [(row.chat_id, row.message_index, row.status, row.payload["text"]) for row in rows]


async def test_serve_is_healthy_with_only_sqlite_and_stops_on_sigterm(
    hf: FakeHF, tmp_path: Path, serve_processes: list[ServeProcess]
) -> None:
    serve = ServeProcess(due_now_environment(hf.base_url), tmp_path / "serve.log").start()
    serve_processes.append(serve)
    health = await serve.wait_healthy()
    assert health["status"] == "ok"
    assert health["parts"]["telegram"] == "off: PAPERWIRE_TELEGRAM__TOKEN is not set"
    assert health["parts"]["slack"] == "off: PAPERWIRE_SLACK__BOT_TOKEN is not set"
    code, seconds = await serve.stop(signal.SIGTERM)
    assert code == 0, serve.log()
    assert seconds < STOP_LIMIT
    log = serve.log()
    assert "telegram: off: PAPERWIRE_TELEGRAM__TOKEN is not set" in log
    assert "Traceback" not in log


async def test_sigterm_in_the_middle_of_a_fan_out_then_a_restart_loses_and_doubles_nothing(
    hf: FakeHF, tmp_path: Path, serve_processes: list[ServeProcess]
) -> None:
    day = yesterday_utc()
    hf.days[day] = day_items(day, 4)
    chats = [str(7000 + n) for n in range(20)]  # private chats
    async with FakeTelegram(limits=RateLimits.off()) as telegram:
        telegram.delay = 0.4  # a slow Telegram: the fan-out takes seconds
        environment = due_now_environment(
            hf.base_url,
            PAPERWIRE_TELEGRAM__TOKEN=telegram.token,
            PAPERWIRE_TELEGRAM__BASE_URL=telegram.base_url,
            PAPERWIRE_TELEGRAM__CHATS="[" + ",".join(f'"{chat}"' for chat in chats) + "]",
            PAPERWIRE_TELEGRAM__RATE_PER_BOT="20",
            PAPERWIRE_TELEGRAM__RATE_PER_PRIVATE_CHAT="20",
        )
        first = ServeProcess(environment, tmp_path / "first.log").start()
        serve_processes.append(first)
        await first.wait_healthy()
        deadline = time.monotonic() + 30
        while len(telegram.sent) < 15:
            assert time.monotonic() < deadline, first.log()
            await asyncio.sleep(0.05)
        code, seconds = await first.stop(signal.SIGTERM)
        assert code == 0, first.log()
        assert seconds < STOP_LIMIT

        db = sqlite_database()
        try:
            rows = await outbox_rows(db)
            statuses = Counter(status for _, _, status, _ in rows)
            assert statuses[SENDING] == 0  # every claim was released or finished
            assert 0 < statuses[SENT] < len(rows)  # stopped in the middle
            assert statuses[SENT] == len(telegram.sent)  # every message that went out is recorded

            second = ServeProcess(environment, tmp_path / "second.log", port=first.port).start()
            serve_processes.append(second)
            await second.wait_healthy()
            deadline = time.monotonic() + 30
            while any(status != SENT for _, _, status, _ in await outbox_rows(db)):
                assert time.monotonic() < deadline, second.log()
                await asyncio.sleep(0.1)
            code, seconds = await second.stop(signal.SIGINT)
            assert code == 0, second.log()
            assert seconds < STOP_LIMIT
            rows = await outbox_rows(db)
        finally:
            await db.close()
        # Each chat got the digest once: every planned message exactly once, in order.
        assert {chat for chat, _, _, _ in rows} == set(chats)
        assert len(telegram.sent) == len(rows)
        for chat in chats:
            planned = [text for chat_id, _, _, text in rows if chat_id == chat]
            received = [message["text"] for message in telegram.sent_to(chat)]
            assert received == planned
