"""The database goes away while messages are being sent (PostgreSQL behind a proxy that is cut):
the worker keeps what it sent in memory, claims nothing new, writes it first when the database
is back, and sends nothing twice."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from paperwire.bot.delivery.worker import DeliveryWorker, SendOutcome
from paperwire.bot.store.database import Database
from paperwire.bot.store.outbox import Delivery
from tests.delivery.test_worker import ScriptedPlatform, make_digest, plan, statuses
from tests.fakes.tcp_proxy import TcpProxy


async def test_outcomes_are_held_while_the_database_is_away_and_nothing_is_sent_twice(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("the outage is a cut connection to PostgreSQL")
    digest_id = await make_digest(db)
    chats = [f"c{i}" for i in range(10)]
    await plan(db, digest_id, chats)
    real = urlsplit(db.url)
    async with TcpProxy(real.hostname or "127.0.0.1", real.port or 5432) as proxy:
        through_proxy = db.url.replace(f"{real.hostname}:{real.port}", f"127.0.0.1:{proxy.port}")
        cut_db = Database(through_proxy)
        await cut_db.start()

        class CutAfterFive(ScriptedPlatform):
            async def send(self, delivery: Delivery) -> SendOutcome:
                outcome = await super().send(delivery)
                if len(self.sent) == 5:
                    proxy.cut()  # the database is gone; this send and the ones in flight went out
                    asyncio.get_running_loop().call_later(2.0, proxy.restore)
                await asyncio.sleep(0.05)
                return outcome

        platform = CutAfterFive()
        worker = DeliveryWorker(cut_db, platform, concurrency=4, poll_seconds=0.05)
        try:
            await asyncio.wait_for(worker.run(asyncio.Event(), until_idle=True), 60)
        finally:
            await cut_db.close()

    sent = [(chat, index) for chat, index, _ in platform.sent]
    assert sorted(sent) == sorted(set(sent)), "nothing was sent twice"
    assert len(sent) == len(chats) * 3
    assert set((await statuses(db)).values()) == {"sent"}
    assert worker.database_error is None and worker.unwritten == 0
