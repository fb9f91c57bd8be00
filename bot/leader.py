"""Leadership among replicas: who may do what only one process may do (Telegram long polling).

On PostgreSQL the leader is whoever holds a session-level advisory lock on a connection of
its own; the lock goes when that connection does (a clean stop, a crash, a lost network),
and a standby that keeps trying takes over within `retry_seconds`. On SQLite there is only
one process per database file, so it always leads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.store.database import Database

log = logging.getLogger(__name__)

Role = Literal["starting", "leader", "standby", "stopped"]
# The longest wait between attempts to start after failures (a refused token, no network).
MAX_BACKOFF_SECONDS = 60.0
Action = Callable[[], Awaitable[None]]


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock`, derived from a name."""
    digest = hashlib.sha256(f"paperwire:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """A PostgreSQL session advisory lock held on a dedicated connection."""

    def __init__(self, db: Database, key: int) -> None:
        self.db = db
        self.key = key
        self._connection: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits for it."""
        if self._connection is not None:
            return True
        connection = await self.db.engine.connect()
        try:
            got = bool((await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})).scalar())
            # The lock belongs to the session, not the transaction: end the transaction so the
            # connection does not sit "idle in transaction" while it holds the lock.
            await connection.commit()
        except BaseException:
            await _discard(connection)
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        """False when the lock's connection is gone (the server may have given the lock away)."""
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
            return True
        except Exception as error:
            log.warning("lost the connection holding the advisory lock: %s", error)
            await self.release()
            return False

    async def release(self) -> None:
        """Give the lock up by closing its connection (the server drops the session's locks)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await _discard(connection)


async def _discard(connection: AsyncConnection) -> None:
    # Invalidate rather than return to the pool: a pooled connection would keep the lock.
    try:
        await connection.invalidate()
    except Exception:  # already broken
        pass
    try:
        await connection.close()
    except Exception:
        pass


class Leadership:
    """Runs `on_elected` when this process becomes the leader and `on_deposed` when it stops being one.

    `run(stop)` loops until `stop` is set: a standby tries the lock every `retry_seconds`, a
    leader checks its lock connection every `check_seconds`. On stop, a leader runs
    `on_deposed` first and only then lets the lock go, so a successor never overlaps it.
    """

    def __init__(
        self,
        db: Database,
        name: str,
        *,
        retry_seconds: float = 2.0,
        check_seconds: float = 5.0,
    ) -> None:
        self.db = db
        self.name = name
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.role: Role = "starting"
        self.error: str | None = None
        self._lock = AdvisoryLock(db, lock_key(name)) if not db.is_sqlite else None

    async def run(self, stop: asyncio.Event, on_elected: Action, on_deposed: Action) -> None:
        failures = 0
        try:
            while not stop.is_set():
                if self.role != "leader":
                    if await self._try_lead():
                        self.role = "leader"
                        log.info("%s: this process leads", self.name)
                        try:
                            await on_elected()
                            failures = 0
                        except Exception as error:
                            # Leading without doing the job would leave it undone everywhere.
                            failures += 1
                            self.error = f"could not start: {error}"
                            log.warning("%s: %s; letting another process try", self.name, self.error)
                            self.role = "standby"
                            await self._step_down(on_deposed)
                            await _wait(stop, min(self.retry_seconds * 2**failures, MAX_BACKOFF_SECONDS))
                        continue
                    if self.role != "standby":
                        log.info("%s: another process leads; standing by", self.name)
                    self.role = "standby"
                    await _wait(stop, self.retry_seconds)
                    continue
                await _wait(stop, self.check_seconds)
                if stop.is_set():
                    break
                if self._lock is not None and not await self._lock.still_held():
                    log.warning("%s: leadership lost; standing by", self.name)
                    self.role = "standby"
                    await on_deposed()
        finally:
            if self.role == "leader":
                try:
                    await on_deposed()
                finally:
                    if self._lock is not None:
                        await self._lock.release()
            self.role = "stopped"

    async def _step_down(self, on_deposed: Action) -> None:
        try:
            await on_deposed()
        except Exception:
            log.exception("%s: stopping after a failed start", self.name)
        if self._lock is not None:
            await self._lock.release()

    async def _try_lead(self) -> bool:
        if self._lock is None:
            return True
        try:
            got = await self._lock.try_acquire()
            self.error = None
            return got
        except Exception as error:
            self.error = f"cannot reach the database for the leader lock: {type(error).__name__}"
            log.warning("%s: %s", self.name, self.error)
            return False


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
