"""Pacing for outgoing messages: one budget per platform account (bot token, workspace), one
pacer per chat.

A pacer hands out send slots evenly (`interval` apart) rather than in bursts, so a
platform that counts messages over a sliding window never sees more than the rate.

The account's budget is shared by everything that sends for the account: the digest
fan-out and the command replies, and on PostgreSQL every replica (`DatabaseBudget`: the
next free slot is a row, taken with one atomic statement on the database's clock). On
SQLite, one process, it is a `Pacer` in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import text

from paperwire.bot.store.database import Database

log = logging.getLogger(__name__)


class SendBudget(Protocol):
    """Send slots for one account: wait for one, or hold every send for a while (a 429)."""

    async def acquire(self) -> None: ...

    async def pause(self, seconds: float) -> None: ...


class Pacer:
    """Evenly spaced slots at `rate` per second; `block_until` holds it after a 429."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    def delay(self) -> float:
        """Seconds until the next slot is free (0 when it is free now)."""
        return max(0.0, self._next - self._clock())

    def reserve(self) -> float:
        """Take the next slot without waiting; returns how long until it comes."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    async def acquire(self) -> None:
        """Wait for the next slot. Waiters queue in order and only the first one sleeps, so a
        stalled event loop lets late waiters out one interval apart, never all at once."""
        async with self._lock:
            while (wait := self._next - self._clock()) > 0:
                await asyncio.sleep(wait)
            self._next = max(self._next, self._clock() - self.interval) + self.interval

    def block_until(self, seconds_from_now: float) -> None:
        self._next = max(self._next, self._clock() + seconds_from_now)

    async def pause(self, seconds: float) -> None:
        self.block_until(seconds)


class KeyedPacers:
    """A pacer per key (per chat), created on first use, with the rate the key calls for."""

    def __init__(self, rate_for: Callable[[str], float], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate_for = rate_for
        self._clock = clock
        self._pacers: dict[str, Pacer] = {}

    def get(self, key: str) -> Pacer:
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = self._pacers[key] = Pacer(self._rate_for(key), clock=self._clock)
        return pacer

    def forget_idle(self) -> None:
        """Drop pacers with nothing reserved, so a long-running bot does not grow without bound."""
        now = self._clock()
        for key in [key for key, pacer in self._pacers.items() if pacer._next <= now]:
            del self._pacers[key]


# Reserve `:span` seconds of slots (n slots, `interval` apart) from the next free one on; returns
# how long until the first of them, on the database's clock.
_TAKE_SLOTS = text(
    """
    INSERT INTO send_budgets (account, next_slot)
    VALUES (:account, extract(epoch from clock_timestamp()) + :span)
    ON CONFLICT (account) DO UPDATE
    SET next_slot = greatest(send_budgets.next_slot, extract(epoch from clock_timestamp())) + :span
    RETURNING next_slot - :span - extract(epoch from clock_timestamp())
    """
)
# Slots reserved with one statement at most (a fan-out has many sends waiting at once).
MAX_BATCH = 64
# A send that wakes later than this after its slot takes a new one (up to this many times).
MIN_LATENESS = 0.02
MAX_LATE_RETRIES = 4
_PAUSE = text(
    """
    INSERT INTO send_budgets (account, next_slot)
    VALUES (:account, extract(epoch from clock_timestamp()) + :seconds)
    ON CONFLICT (account) DO UPDATE
    SET next_slot = greatest(send_budgets.next_slot, extract(epoch from clock_timestamp()) + :seconds)
    """
)


class DatabaseBudget:
    """One account's send slots kept in PostgreSQL, so replicas together stay within the rate.

    The sends waiting in this process reserve their slots together, with one autocommitted
    statement (the row is locked only while the database runs it), on the database's clock,
    so the replicas' clocks need not agree. When the database cannot be reached the slots
    come from a local pacer, so replies still go out, paced.
    """

    def __init__(self, db: Database, account: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.db = db
        self.account = account
        self.interval = 1.0 / rate
        self._local = Pacer(rate)
        self._failing = False
        self._waiters: list[asyncio.Future[float | None]] = []
        self._fetcher: asyncio.Task[None] | None = None

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(MAX_LATE_RETRIES):
            waiter: asyncio.Future[float | None] = loop.create_future()
            self._waiters.append(waiter)
            if self._fetcher is None or self._fetcher.done():
                self._fetcher = asyncio.create_task(self._reserve_for_waiters(), name=f"send budget {self.account}")
            wait = await waiter
            if wait is None:  # the database is away
                await self._local.acquire()
                return
            target = loop.time() + wait
            if wait > 0:
                await asyncio.sleep(wait)
            # A slot missed by a busy event loop belongs to the past: leaving now would take
            # a later slot, someone else's, and bunch sends over the limit. Take a new one.
            if loop.time() - target <= max(self.interval, MIN_LATENESS):
                return

    async def _reserve_for_waiters(self) -> None:
        while self._waiters:
            batch, self._waiters = self._waiters[:MAX_BATCH], self._waiters[MAX_BATCH:]
            try:
                first = await self._reserve(len(batch))
            except asyncio.CancelledError:
                for waiter in batch:
                    waiter.cancel()
                raise
            except Exception as error:
                if not self._failing:
                    log.warning("send budget %s: the database cannot be reached (%s); pacing locally",
                                self.account, type(error).__name__)
                self._failing = True
                first = None
            else:
                self._failing = False
            for index, waiter in enumerate(batch):
                if not waiter.done():
                    waiter.set_result(None if first is None else first + index * self.interval)

    async def _reserve(self, count: int) -> float:
        async with self.db.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(_TAKE_SLOTS, {"account": self.account, "span": count * self.interval})
            return float(result.scalar_one())

    async def pause(self, seconds: float) -> None:
        self._local.block_until(seconds)
        try:
            async with self.db.engine.connect() as connection:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(_PAUSE, {"account": self.account, "seconds": seconds})
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("send budget %s: could not share a pause (%s)", self.account, type(error).__name__)


class SendBudgets:
    """Every account's budget in this process, made on first use: the fan-out and the command
    replies of one account get the same object."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._budgets: dict[str, SendBudget] = {}

    def get(self, account: str, rate: float) -> SendBudget:
        budget = self._budgets.get(account)
        if budget is None:
            if self.db.dialect == "postgresql":
                budget = DatabaseBudget(self.db, account, rate)
            else:
                budget = Pacer(rate)
            self._budgets[account] = budget
        return budget


def account_key(platform: str, secret: str) -> str:
    """A stable name for an account that does not reveal its credential."""
    return f"{platform}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"
