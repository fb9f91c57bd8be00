"""One send budget per platform account: shared in the process, and on PostgreSQL by every replica."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import text

from paperwire.bot.delivery.ratelimit import ClockOffset, DatabaseBudget, Pacer, SendBudgets
from paperwire.bot.store.database import Database


def test_the_fan_out_and_the_replies_of_one_account_get_one_budget(db: Database) -> None:
    budgets = SendBudgets(db)
    first = budgets.get("telegram:42", 30.0)
    assert budgets.get("telegram:42", 30.0) is first
    assert budgets.get("telegram:43", 30.0) is not first
    assert isinstance(first, DatabaseBudget if db.dialect == "postgresql" else Pacer)


async def test_two_replicas_take_distinct_slots_from_the_database(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("the shared budget lives in PostgreSQL; SQLite is one process")
    rate = 200.0
    replicas = [DatabaseBudget(db, "telegram:42", rate), DatabaseBudget(db, "telegram:42", rate)]
    async with db.connect() as connection:
        start = float((await connection.execute(text("SELECT extract(epoch from clock_timestamp())"))).scalar_one())
    await asyncio.gather(*(replica.acquire() for replica in replicas for _ in range(20)))
    async with db.connect() as connection:
        next_slot = float((await connection.execute(text("SELECT next_slot FROM send_budgets"))).scalar_one())
    # 40 sends between the two took 40 slots of the one budget: the next free one is 40 intervals on.
    assert next_slot - start >= 40 / rate - 0.001


async def test_a_pause_holds_every_replica(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("the shared budget lives in PostgreSQL")
    one, other = DatabaseBudget(db, "slack:x", 100.0), DatabaseBudget(db, "slack:x", 100.0)
    await one.pause(30.0)
    waiter = asyncio.ensure_future(other.acquire())
    await asyncio.sleep(0.5)
    assert not waiter.done()  # the other replica waits out the 429 too
    waiter.cancel()


def test_a_slow_answer_does_not_move_the_database_clock() -> None:
    clock = ClockOffset()
    clock.sample(sent_at=10.000, received_at=10.002, remote_now=1000.001)  # a fast round trip
    clock.sample(sent_at=11.000, received_at=11.060, remote_now=1001.001)  # the answer waited 59 ms
    assert clock.to_local(1001.5) == pytest.approx(11.5, abs=0.002)


async def test_two_replicas_stay_within_the_rate_when_one_hears_back_late(db: Database) -> None:
    """One replica's event loop is busy 30 ms at a time (as a fan-out's can be), so it hears
    the database's answers late: its slots must stay where the database put them, not drift
    into the other replica's."""
    if db.dialect != "postgresql":
        pytest.skip("the shared budget lives in PostgreSQL")
    rate, per_replica = 100.0, 60
    sent: list[float] = []  # time.monotonic is the loop clock of both replicas

    async def replica(busy: bool) -> None:
        database = Database(db.url)
        await database.start()
        budget = DatabaseBudget(database, "telegram:7", rate)

        async def hog() -> None:
            while True:
                time.sleep(0.025)  # the loop does other work and answers nothing meanwhile
                await asyncio.sleep(0.04)

        async def send() -> None:
            await budget.acquire()
            sent.append(time.monotonic())

        hogging = asyncio.ensure_future(hog()) if busy else None
        try:
            await asyncio.gather(*(send() for _ in range(per_replica)))
        finally:
            if hogging is not None:
                hogging.cancel()
            await database.close()

    busy_replica = threading.Thread(target=asyncio.run, args=(replica(busy=True),))
    busy_replica.start()
    await replica(busy=False)
    await asyncio.to_thread(busy_replica.join)
    assert len(sent) == 2 * per_replica
    sent.sort()
    window = 0.1  # no 100 ms holds more sends than the rate allows, give or take one at its edge
    busiest = max(sum(1 for t in sent[i:] if t < start + window) for i, start in enumerate(sent))
    assert busiest <= rate * window + 1, f"{busiest} sends in {window} s at {rate}/s"

