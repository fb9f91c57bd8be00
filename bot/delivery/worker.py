"""The delivery worker: claims due outbox rows, paces them, sends, and records what happened.

Platform senders (Telegram, Slack) translate their library's errors into the outcome
values below; this module decides what each outcome does to the outbox, in one place.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.delivery.ratelimit import KeyedPacers, Pacer
from paperwire.bot.metrics import Metrics
from paperwire.bot.store import outbox
from paperwire.bot.store.database import Database
from paperwire.bot.store.outbox import Delivery

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sent:
    remote_id: str | None


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A temporary failure: rate limit (`after` from the platform), 5xx, network."""

    after: float
    reason: str
    scope: Literal["chat", "platform"] = "chat"


@dataclass(frozen=True, slots=True)
class ChatGone:
    """The chat cannot be reached any more (blocked, kicked, not found, archived)."""

    reason: str


@dataclass(frozen=True, slots=True)
class ChatMoved:
    """The chat has a new id (a Telegram group upgraded to a supergroup)."""

    new_chat_id: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """The platform refused this one message for good (e.g. it failed validation)."""

    reason: str


@dataclass(frozen=True, slots=True)
class PlatformStopped:
    """The credentials no longer work: stop every send on this platform."""

    reason: str


SendOutcome = Sent | RetryLater | ChatGone | ChatMoved | Rejected | PlatformStopped


class Sender(Protocol):
    """One platform's way of sending a planned message."""

    platform: str

    def chat_rate(self, chat_id: str) -> float:
        """Messages per second allowed to one chat."""
        ...

    @property
    def platform_rate(self) -> float:
        """Messages per second allowed for the whole bot or workspace."""
        ...

    async def send(self, delivery: Delivery) -> SendOutcome: ...


ChatHook = Callable[[str, str, str], Awaitable[None]]
"""(platform, chat id, detail) -> None: what to do about a chat beyond the outbox."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{id(object()) & 0xFFFF:x}"


class DeliveryWorker:
    """Sends one platform's outbox rows, as fast as the platform's limits allow."""

    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        in_flight: Literal["resend", "skip"] = "resend",
        concurrency: int = 64,
        max_attempts: int = 8,
        lease_seconds: float = 120.0,
        poll_seconds: float = 0.5,
        backoff_base: float = 1.0,
        drain_grace: float = 5.0,
        on_chat_gone: ChatHook | None = None,
        on_chat_moved: ChatHook | None = None,
        metrics: Metrics | None = None,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.platform = sender.platform
        self.in_flight = in_flight
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.backoff_base = backoff_base
        self.drain_grace = drain_grace
        self.on_chat_gone = on_chat_gone
        self.on_chat_moved = on_chat_moved
        self.metrics = metrics
        self.name = name or worker_name()
        self.stopped_reason: str | None = None
        self._platform_pacer = Pacer(sender.platform_rate)
        self._chat_pacers = KeyedPacers(sender.chat_rate)
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        # Outcomes waiting to be written, in one transaction per batch (see `_flush`).
        self._outcomes: list[tuple[Delivery, SendOutcome, Pacer]] = []
        self._flushed = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._payloads: dict[int, dict] = {}  # shared payloads already read, by id
        # Claim when this many sends are free (or nothing is in flight): fewer, larger claims.
        self.claim_batch = max(1, concurrency // 4)

    def wake(self) -> None:
        """New rows were planned: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, digest_ids: list[int] | None = None, until_idle: bool = False) -> None:
        """Send until `stop` is set (or, with `until_idle`, until nothing is left that can be sent)."""
        if self.in_flight == "skip":
            async with self.db.begin() as connection:
                abandoned = await outbox.abandon_expired(connection, self.platform)
            if abandoned:
                log.warning("%s: %d messages were in flight when a sender stopped; not resending them", self.platform, abandoned)
        try:
            while not stop.is_set() and self.stopped_reason is None:
                claimed = await self._claim(digest_ids)
                if not claimed and not self._tasks:
                    if self._flusher is not None and not self._flusher.done():
                        # Outcomes being written make the chats' next messages due: look again then.
                        await asyncio.wait([self._flusher], timeout=self.poll_seconds)
                        continue
                    if until_idle and await self._idle(digest_ids):
                        return
                    await self._sleep(stop, await self._pause_before_next(digest_ids))
                    continue
                await self._wait_for_room()
        finally:
            await self._drain()

    async def _wait_for_room(self) -> None:
        """Until `claim_batch` sends are free, everything in flight is done, or a poll passes."""
        deadline = asyncio.get_running_loop().time() + self.poll_seconds
        while self._tasks and self.concurrency - len(self._tasks) < self.claim_batch:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                return
            await asyncio.wait(self._tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)

    async def _claim(self, digest_ids: list[int] | None) -> list[Delivery]:
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return []
        async with self.db.begin() as connection:
            claimed = await outbox.claim_due(
                connection,
                platform=self.platform,
                worker=self.name,
                limit=free,
                lease_seconds=self.lease_seconds,
                reclaim_expired=self.in_flight == "resend",
                digest_ids=digest_ids,
                payload_cache=self._payloads,
            )
        if len(self._payloads) > 4096:  # several days' digests; start afresh rather than grow
            self._payloads.clear()
        for delivery in claimed:
            task = asyncio.create_task(self._deliver(delivery), name=f"deliver-{delivery.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return claimed

    async def _idle(self, digest_ids: list[int] | None) -> bool:
        async with self.db.connect() as connection:
            return await outbox.open_count(connection, platform=self.platform, digest_ids=digest_ids) == 0

    async def _pause_before_next(self, digest_ids: list[int] | None) -> float:
        async with self.db.connect() as connection:
            due = await outbox.next_due_at(connection, self.platform)
        if due is None:
            return self.poll_seconds
        return min(max((due - datetime.now(UTC)).total_seconds(), 0.01), self.poll_seconds)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        self._wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self) -> None:
        """Let sends in flight finish (up to `drain_grace`), then give back whatever is still claimed."""
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self.drain_grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self._flush_all()
        async with self.db.begin() as connection:
            released = await outbox.release_claims(connection, self.name)
        if released:
            log.info("%s: released %d claimed messages for the next run", self.platform, released)

    async def _deliver(self, delivery: Delivery) -> None:
        chat_pacer = self._chat_pacers.get(delivery.chat_id)
        await chat_pacer.acquire()
        await self._platform_pacer.acquire()
        # The chat's next slot counts from when this message leaves, not from when its slot
        # was reserved: a wait for the platform's slot must not shorten the chat's gap.
        chat_pacer.block_until(chat_pacer.interval)
        try:
            outcome = await self.sender.send(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a sender bug must not stop the worker
            log.exception("%s: unexpected error sending message %d", self.platform, delivery.id)
            outcome = RetryLater(after=self._backoff(delivery), reason=f"unexpected error: {error!r}")
        self._outcomes.append((delivery, outcome, chat_pacer))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_all(), name=f"record-{self.platform}")

    async def _flush_all(self) -> None:
        """Write the outcomes gathered so far, one transaction per batch, until none is left.

        Sends finishing while a batch is written form the next batch, so a busy worker
        writes many outcomes per commit and an idle one writes each at once.
        """
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                await self._record_batch(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The rows keep their claim and lease; when the lease runs out they are due again.
                log.exception("%s: could not record the outcome of %d messages", self.platform, len(batch))

    async def _record_batch(self, batch: list[tuple[Delivery, SendOutcome, Pacer]]) -> None:
        now = datetime.now(UTC)
        sent = [
            outbox.SentMessage(delivery, outcome.remote_id, now + timedelta(seconds=chat_pacer.interval))
            for delivery, outcome, chat_pacer in batch
            if isinstance(outcome, Sent)
        ]
        others = [item for item in batch if not isinstance(item[1], Sent)]
        async with self.db.begin() as connection:
            await outbox.record_sent(connection, sent)
            for delivery, outcome, chat_pacer in others:
                await self._record(connection, delivery, outcome, chat_pacer)
        for _ in sent:
            self._count("messages_sent", self.platform)
        # Hooks run after the outbox change committed; they touch subscriptions only.
        for delivery, outcome, _pacer in others:
            try:
                if isinstance(outcome, ChatGone) and self.on_chat_gone:
                    await self.on_chat_gone(self.platform, delivery.chat_id, outcome.reason)
                if isinstance(outcome, ChatMoved) and self.on_chat_moved:
                    await self.on_chat_moved(self.platform, delivery.chat_id, outcome.new_chat_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: could not update the subscription of chat %s", self.platform, delivery.chat_id)

    def _backoff(self, delivery: Delivery) -> float:
        return min(self.backoff_base * 2 ** max(delivery.attempts - 1, 0), 300.0)

    async def _record(self, connection: AsyncConnection, delivery: Delivery, outcome: SendOutcome, chat_pacer: Pacer) -> None:
        """Apply one outcome other than `Sent` (those are written together) in the batch's transaction."""
        platform = self.platform
        match outcome:
            case RetryLater(after=after, reason=reason, scope=scope):
                if delivery.attempts >= self.max_attempts:
                    log.error("%s: giving up on message %d to %s after %d attempts: %s",
                              platform, delivery.id, delivery.chat_id, delivery.attempts, reason)
                    await outbox.fail(connection, delivery.id, reason)
                    self._count("messages_failed", platform, "attempts")
                    return
                delay = max(after, 0.0) or self._backoff(delivery)
                (self._platform_pacer if scope == "platform" else chat_pacer).block_until(delay)
                retry_at = datetime.now(UTC) + timedelta(seconds=delay)
                await outbox.release(connection, delivery.id, retry_at=retry_at, error=reason)
                log.info("%s: message %d to %s will be retried in %.1fs: %s",
                         platform, delivery.id, delivery.chat_id, delay, reason)
                self._count("messages_retried", platform, reason.split(":")[0][:40])
            case ChatGone(reason=reason):
                cancelled = await outbox.cancel_chat(connection, platform, delivery.chat_id, reason)
                log.warning("%s: chat %s is gone (%s); deactivated, %d messages cancelled",
                            platform, delivery.chat_id, reason, cancelled)
                self._count("chats_deactivated", platform)
            case ChatMoved(new_chat_id=new_id):
                moved = await outbox.move_chat(connection, platform, delivery.chat_id, new_id)
                log.info("%s: chat %s moved to %s; %d messages follow it", platform, delivery.chat_id, new_id, moved)
            case Rejected(reason=reason):
                await outbox.fail(connection, delivery.id, reason)
                log.error("%s: message %d to %s refused: %s", platform, delivery.id, delivery.chat_id, reason)
                self._count("messages_failed", platform, "rejected")
            case PlatformStopped(reason=reason):
                await outbox.release(connection, delivery.id, retry_at=datetime.now(UTC), error=reason)
                if self.stopped_reason is None:
                    log.critical("%s: STOPPING ALL SENDS: %s. Fix the credentials and restart; "
                                 "nothing queued is lost.", platform, reason)
                self.stopped_reason = reason

    def _count(self, name: str, platform: str, reason: str | None = None) -> None:
        if self.metrics is None:
            return
        counter = getattr(self.metrics, name)
        (counter.labels(platform, reason) if reason is not None else counter.labels(platform)).inc()
