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
from collections import deque
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
# the first of them and the time it was taken, both on the database's clock. A free budget's
# slots start `:lead` from now (a recent round trip), so they are still ahead when the answer
# comes back, even at rates of one slot per millisecond. The commit does not
# wait for the disk: a reservation lost in a crash costs nothing, and waiting on a disk busy with
# a large planning's writes held every send for seconds.
_TAKE_SLOTS = text(
    """
    INSERT INTO send_budgets (account, next_slot)
    SELECT :account, extract(epoch from clock_timestamp()) + :lead + :span
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_wait_for_disk
    ON CONFLICT (account) DO UPDATE
    SET next_slot = greatest(send_budgets.next_slot, extract(epoch from clock_timestamp()) + :lead) + :span
    RETURNING next_slot - :span, extract(epoch from clock_timestamp())
    """
)
# Slots reserved with one statement at most (a fan-out has many sends waiting at once).
MAX_BATCH = 8
# Reserve more once the slots in hand end sooner than this (a database answer under load).
RESERVE_AHEAD = 0.05
# Round trips remembered to place the database's clock on the loop's.
CLOCK_SAMPLES = 64
# Reserve at most this far ahead of now when the budget is free.
MAX_LEAD = 0.1
# A send later than its slot by more than an interval, or than this at high rates (a busy event
# loop wakes a few milliseconds late), lets its slot go.
MIN_LATENESS = 0.005


class ClockOffset:
    """The database's clock on this process's loop clock, as NTP does it: of the last few
    round trips, the fastest one tells the offset best (the statement ran within it).

    Placing slots by each reservation's own round trip would move them by however long the
    answer waited in a busy event loop, and two replicas' slots would bunch over the limit.
    """

    def __init__(self, samples: int = CLOCK_SAMPLES) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=samples)  # (round trip, offset)

    def sample(self, sent_at: float, received_at: float, remote_now: float) -> None:
        round_trip = received_at - sent_at
        self._samples.append((round_trip, remote_now - (sent_at + received_at) / 2))

    def to_local(self, remote_time: float) -> float:
        _, offset = min(self._samples)
        return remote_time - offset

    def lead(self, recent: int = 8) -> float:
        """How far ahead to reserve: the slowest of the last few round trips, bounded."""
        if not self._samples:
            return 0.0
        return min(MAX_LEAD, max(round_trip for round_trip, _ in list(self._samples)[-recent:]))
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

    Sends of this process leave one at a time, in order (as with `Pacer`): the first in line
    reserves the next few slots with one autocommitted statement (the row is locked only
    while the database runs it), before the slots in hand run out, on the database's clock, which each replica places on its own
    (`ClockOffset`), so the replicas' clocks need not agree. A slot missed by more than an
    interval because the event loop was busy is dropped, never spent late (that would bunch
    sends over the limit). When the database cannot be reached the slots come
    from a local pacer, so replies still go out, paced.
    """

    def __init__(self, db: Database, account: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.db = db
        self.account = account
        self.interval = 1.0 / rate
        self._local = Pacer(rate)
        self._failing = False
        self._lock = asyncio.Lock()
        self._slots: deque[float] = deque()  # reserved slots, in loop time
        self._clock = ClockOffset()
        self._queued = 0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        self._queued += 1
        waiting = True
        try:
            async with self._lock:
                self._queued -= 1
                waiting = False
                while True:
                    # Slots are reserved before those in hand run out, so they are still ahead
                    # when the database's answer comes back, and the spans of one replica follow
                    # each other without a gap.
                    short = self._queued + 1 - len(self._slots)  # sends in line without a slot in hand
                    ending = not self._slots or self._slots[-1] - loop.time() < RESERVE_AHEAD
                    if short > 0 and ending and not (self._slots and self._failing):
                        count = min(MAX_BATCH, short)
                        try:
                            first = await self._reserve(loop, count)
                        except asyncio.CancelledError:
                            raise
                        except Exception as error:
                            if not self._failing:
                                log.warning("send budget %s: the database cannot be reached (%s); pacing locally",
                                            self.account, type(error).__name__)
                            self._failing = True
                            if self._slots:
                                continue  # spend the slots in hand first (no new try meanwhile)
                            await self._local.acquire()
                            return
                        self._failing = False
                        self._slots.extend(first + index * self.interval for index in range(count))
                    target = self._slots.popleft()
                    wait = target - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if loop.time() - target <= max(self.interval, MIN_LATENESS):
                        return
                    # missed (the loop was busy): the next reserved slot may still be on time
        finally:
            if waiting:  # cancelled while in line
                self._queued -= 1

    async def _reserve(self, loop: asyncio.AbstractEventLoop, count: int) -> float:
        """Reserve `count` slots; returns the first one in loop time."""
        sent_at = loop.time()
        async with self.db.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await connection.execute(
                _TAKE_SLOTS, {"account": self.account, "span": count * self.interval, "lead": self._clock.lead()}
            )
            first, database_now = result.one()
        self._clock.sample(sent_at, loop.time(), float(database_now))
        return self._clock.to_local(float(first))

    async def pause(self, seconds: float) -> None:
        self._local.block_until(seconds)
        self._slots.clear()
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
