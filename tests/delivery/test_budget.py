"""One send budget per platform account: shared in the process, and on PostgreSQL by every replica."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from paperwire.bot.delivery.ratelimit import DatabaseBudget, Pacer, SendBudgets
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
