"""The delivery worker: claims due outbox rows, paces them, sends, and records what happened.

Platform senders (Telegram, Slack) translate their library's errors into the outcome
values below; this module decides what each outcome does to the outbox, in one place.
"""

from __future__ import annotations

import asyncio
import math
import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.delivery.ratelimit import KeyedPacers, Pacer, SendBudget
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
    # A server error after the request went out: the message may be there; counted in doubt.
    maybe_delivered: bool = False


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


@dataclass(frozen=True, slots=True)
class InDoubt:
    """The request went out and its answer never came (a read timeout, a dropped connection,
    a server error after the message may have been delivered): it may be in the chat."""

    reason: str


SendOutcome = Sent | RetryLater | ChatGone | ChatMoved | Rejected | PlatformStopped | InDoubt


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


def worker_name(platform: str) -> str:
    """Unique per worker: two workers of one process, or of two hosts, never share a name."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{platform}:{secrets.token_hex(4)}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


# How often a worker looks for due rows when nothing wakes it.
POLL_SECONDS = 0.5


def fanout_concurrency(platform_rate: float) -> int:
    """Sends a worker holds at once: enough to keep the platform's rate busy while chats wait their turn."""
    return max(64, math.ceil(2.5 * platform_rate))


# How often a worker says it is alive (outbox.WORKER_TIMEOUT_SECONDS says when it is not).
HEARTBEAT_SECONDS = 3.0
# Consecutive sends to one chat without an answer before the chat is paused.
PAUSE_AFTER_DOUBTS = 3
# How long a send's outcome waits for others to be written with it (one commit per batch).
RECORD_LINGER_SECONDS = 0.25
# How long a chat that keeps timing out is paused.
PAUSE_SECONDS = 900.0
# The wait before the one resend of a message whose answer never came.
DOUBT_RETRY_SECONDS = 5.0


class DeliveryWorker:
    """Sends one platform's outbox rows, as fast as the platform's limits allow.

    Every send that left is recorded before anything else: when the database cannot take
    the outcome (down, disk full) it is held in memory, the worker claims nothing new, and
    the held outcomes are written first once it can. At stop, sends in flight are waited
    for (up to `drain_grace`) and recorded; one still unanswered is recorded in doubt, and
    only rows whose request never left are given back.
    """

    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        in_flight: Literal["resend", "skip"] = "resend",
        concurrency: int = 64,
        max_attempts: int = 8,
        lease_seconds: float = 120.0,
        poll_seconds: float = POLL_SECONDS,
        backoff_base: float = 1.0,
        drain_grace: float = 5.0,
        on_chat_gone: ChatHook | None = None,
        on_chat_moved: ChatHook | None = None,
        metrics: Metrics | None = None,
        name: str | None = None,
        budget: SendBudget | None = None,
        resume_paused: bool = False,
        pause_after_doubts: int = PAUSE_AFTER_DOUBTS,
        pause_seconds: float = PAUSE_SECONDS,
        doubt_retry_seconds: float = DOUBT_RETRY_SECONDS,
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
        self.name = name or worker_name(self.platform)
        self.resume_paused = resume_paused
        self.pause_after_doubts = pause_after_doubts
        self.pause_seconds = pause_seconds
        self.doubt_retry_seconds = doubt_retry_seconds
        self.stopped_reason: str | None = None
        # Why the database could not be written or read, while it cannot.
        self.database_error: str | None = None
        # The account's budget (bot token, workspace), shared with command replies.
        self.budget: SendBudget = budget if budget is not None else Pacer(sender.platform_rate)
        self._chat_pacers = KeyedPacers(sender.chat_rate)
        self._chat_doubts: dict[str, int] = defaultdict(int)
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()  # set whenever a send task ends
        self._sending: dict[asyncio.Task[None], Delivery] = {}
        self._unwritten: list[tuple[Delivery, SendOutcome]] = []
        self._write_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._last_heartbeat = 0.0
        self._payloads: dict[int, dict] = {}  # shared payloads already read, by id
        self._finished: dict[int, datetime] = {}  # when each held outcome's send ended
        # Claim when this many sends are free (or nothing is in flight): fewer, larger claims.
        self.claim_batch = max(1, concurrency // 4)

    @property
    def unwritten(self) -> int:
        """Outcomes held in memory because the database would not take them."""
        return len(self._unwritten)

    def wake(self) -> None:
        """New rows were planned: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, digest_ids: list[int] | None = None, until_idle: bool = False) -> None:
        """Send until `stop` is set (or, with `until_idle`, until nothing is left that can be sent)."""
        while not stop.is_set():
            if await self._database(self._start, "start"):
                break
            await self._sleep(stop, self.poll_seconds)
        try:
            while not stop.is_set() and self.stopped_reason is None:
                await self._heartbeat()
                if self._unwritten and not await self._write_held():
                    # Nothing new is claimed until what was sent is recorded.
                    await self._sleep(stop, self.poll_seconds)
                    continue
                claimed = await self._database(lambda: self._claim(digest_ids), "claim")
                if claimed is None:
                    await self._sleep(stop, self.poll_seconds)
                    continue
                if not claimed and not self._tasks:
                    if until_idle and await self._database(lambda: self._idle(digest_ids), "check the queue"):
                        if not self._unwritten:
                            return
                    pause = await self._database(self._pause_before_next, "read the queue")
                    await self._sleep(stop, pause or self.poll_seconds)
                    continue
                await self._wait_for_room()
        finally:
            await self._drain()

    async def _wait_for_room(self) -> None:
        """Until `claim_batch` sends are free, everything in flight is done, or a poll passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.poll_seconds
        while self._tasks and self.concurrency - len(self._tasks) < self.claim_batch:
            timeout = deadline - loop.time()
            if timeout <= 0:
                return
            # An event set by every ending task, not `asyncio.wait` on the tasks: that adds and
            # removes a callback on each of the (up to `concurrency`) tasks at every wake.
            self._room.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._room.wait()
            except TimeoutError:
                return

    async def _start(self) -> bool:
        """Announce this worker, take over the rows of dead workers on this host, apply the policy."""
        host = socket.gethostname()[:80]
        async with self.db.begin() as connection:
            await outbox.heartbeat(connection, worker=self.name, platform=self.platform, host=host, pid=os.getpid())
            for name, pid in await outbox.workers_on_host(connection, host):
                if pid != os.getpid() and not pid_alive(pid):
                    # Killed (kill -9, a crash): its rows are taken over now, not after their lease.
                    await outbox.forget_worker(connection, name)
            if self.in_flight == "skip":
                abandoned = await outbox.abandon_expired(connection, self.platform)
                if abandoned:
                    log.warning("%s: %d messages were in flight when a sender stopped; not resending them",
                                self.platform, abandoned)
            if self.resume_paused:
                resumed = await outbox.resume_paused(connection, self.platform)
                for chat in resumed:
                    # Paused for answers that never came: it gets one try, and is paused again
                    # at the first one that does not come (not after another series of waits).
                    self._chat_doubts[chat] = max(self.pause_after_doubts - 1, 0)
                if resumed:
                    log.info("%s: %d paused chats are due again (one try each)", self.platform, len(resumed))
        self._last_heartbeat = time.monotonic()
        return True

    async def _heartbeat(self) -> None:
        if time.monotonic() - self._last_heartbeat < HEARTBEAT_SECONDS:
            return

        async def beat() -> bool:
            async with self.db.begin() as connection:
                await outbox.heartbeat(
                    connection, worker=self.name, platform=self.platform, host=socket.gethostname()[:80], pid=os.getpid()
                )
            self._last_heartbeat = time.monotonic()
            return True

        await self._database(beat, "send its heartbeat")

    async def _database(self, work: Callable[[], Awaitable[Any]], what: str) -> Any:
        """Run one database step; None (logged once per outage) when the database fails."""
        try:
            result = await work()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            problem = f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
            if self.database_error is None:
                log.warning("%s: cannot %s: %s; holding %d outcomes in memory and claiming nothing until "
                            "the database is back", self.platform, what, problem, len(self._unwritten))
            self.database_error = problem
            return None
        if self.database_error is not None and not self._unwritten:
            log.info("%s: the database is back", self.platform)
            self.database_error = None
        return result

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
            task.add_done_callback(self._task_done)
        return claimed

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._room.set()

    async def _idle(self, digest_ids: list[int] | None) -> bool:
        async with self.db.connect() as connection:
            return await outbox.open_count(connection, platform=self.platform, digest_ids=digest_ids) == 0

    async def _pause_before_next(self) -> float:
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
        """Stop: sends not yet started are dropped; sends in flight get `drain_grace` to answer and
        are recorded (in doubt when the answer did not come); then the rest is given back."""
        for task in [task for task in self._tasks if task not in self._sending]:
            task.cancel()
        flying = dict(self._sending)
        if flying:
            log.info("%s: waiting up to %.0f s for %d sends in flight", self.platform, self.drain_grace, len(flying))
            _, pending = await asyncio.wait(flying, timeout=self.drain_grace)
            for task in pending:
                task.cancel()
            for task in pending:
                self._unwritten.append((flying[task], InDoubt("stopped while waiting for the answer")))
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for _ in range(3):
            if not self._unwritten or await self._write_held():
                break
            await asyncio.sleep(0.2)
        if self._unwritten:
            # Their rows stay claimed by this (now gone) worker: the next run takes them over, in doubt.
            log.error("%s: could not record %d sends before stopping (%s); the next run treats them as in doubt",
                      self.platform, len(self._unwritten), self.database_error)
            return

        async def give_back() -> int:
            async with self.db.begin() as connection:
                released = await outbox.release_claims(connection, self.name, self.platform)
                await outbox.forget_worker(connection, self.name)
            return released

        released = await self._database(give_back, "give back its claims")
        if released:
            log.info("%s: released %d claimed messages for the next run", self.platform, released)

    async def _deliver(self, delivery: Delivery) -> None:
        chat_pacer = self._chat_pacers.get(delivery.chat_id)
        await chat_pacer.acquire()
        await self.budget.acquire()
        # The chat's next slot counts from when this message leaves, not from when its slot
        # was reserved: a wait for the platform's slot must not shorten the chat's gap.
        chat_pacer.block_until(chat_pacer.interval)
        task = asyncio.current_task()
        assert task is not None
        self._sending[task] = delivery
        try:
            outcome = await self.sender.send(delivery)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a sender bug must not stop the worker
            log.exception("%s: unexpected error sending message %d", self.platform, delivery.id)
            outcome = RetryLater(after=self._backoff(delivery), reason=f"unexpected error: {error!r}")
        finally:
            self._sending.pop(task, None)
        self._unwritten.append((delivery, outcome))
        self._finished[delivery.id] = datetime.now(UTC)
        if not self._write_lock.locked():
            # Outcomes arriving meanwhile join this one's transaction. Short against the
            # chat's own gap, so its next message is not held back by it.
            await asyncio.sleep(min(RECORD_LINGER_SECONDS, self._chat_pacers.get(delivery.chat_id).interval / 2))
        await self._write_held()

    async def _write_held(self) -> bool:
        """Record the held outcomes, all in one transaction; False when the database would not take them.

        Sends that finish while a batch is written wait for the lock and form the next batch,
        so a busy worker writes many outcomes per commit and an idle one each at once.
        """
        async with self._write_lock:
            while self._unwritten:
                batch = list(self._unwritten)
                try:
                    await self._record_batch(batch)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    problem = f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"
                    if self.database_error is None:
                        log.warning("%s: cannot record the outcome of %d messages: %s; holding %d outcomes in "
                                    "memory and claiming nothing until the database takes them",
                                    self.platform, len(batch), problem, len(self._unwritten))
                    self.database_error = problem
                    return False
                del self._unwritten[: len(batch)]
                for delivery, _outcome in batch:
                    self._finished.pop(delivery.id, None)
                for delivery, outcome in batch:
                    await self._after_record(delivery, outcome)
            if self.database_error is not None:
                log.info("%s: the database is back; every held outcome is recorded", self.platform)
                self.database_error = None
            return True

    def _backoff(self, delivery: Delivery) -> float:
        return min(self.backoff_base * 2 ** max(delivery.attempts - 1, 0), 300.0)

    async def _record_batch(self, batch: list[tuple[Delivery, SendOutcome]]) -> None:
        """Sends in one statement (each chat's next message due when the chat may have it), the
        rest one by one, all in one transaction."""
        now = datetime.now(UTC)
        sent = []
        for delivery, outcome in batch:
            if isinstance(outcome, Sent):
                # The chat may have its next message one gap after this one went out.
                pause = timedelta(seconds=self._chat_pacers.get(delivery.chat_id).interval)
                sent.append(outbox.SentMessage(delivery, outcome.remote_id, self._finished.get(delivery.id, now) + pause))
        async with self.db.begin() as connection:
            await outbox.record_sent(connection, sent)
            for delivery, outcome in batch:
                if not isinstance(outcome, Sent):
                    await self._record(connection, delivery, outcome, self._chat_pacers.get(delivery.chat_id))
        for item in sent:
            self._chat_doubts.pop(item.delivery.chat_id, None)
            self._count("messages_sent", self.platform)

    async def _record(self, connection: AsyncConnection, delivery: Delivery, outcome: SendOutcome, chat_pacer: Pacer) -> None:
        """One outcome other than `Sent`, in the batch's transaction."""
        platform = self.platform
        match outcome:
            case InDoubt(reason=reason):
                await self._record_doubt(connection, delivery, reason, chat_pacer)
            case RetryLater(after=after, reason=reason, scope=scope, maybe_delivered=maybe_delivered):
                if delivery.attempts >= self.max_attempts:
                    log.error("%s: giving up on message %d to %s after %d attempts: %s",
                              platform, delivery.id, delivery.chat_id, delivery.attempts, reason)
                    await outbox.fail(connection, delivery.id, reason)
                    self._count("messages_failed", platform, "attempts")
                    return
                delay = max(after, 0.0) or self._backoff(delivery)
                chat_pacer.block_until(delay)
                if scope == "platform":
                    # The account's limit, not the chat's: every send of the account waits.
                    await self.budget.pause(delay)
                retry_at = datetime.now(UTC) + timedelta(seconds=delay)
                await outbox.release(
                    connection, delivery.id, retry_at=retry_at, error=reason, in_doubt=maybe_delivered or None
                )
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

    async def _record_doubt(self, connection: Any, delivery: Delivery, reason: str, chat_pacer: Pacer) -> None:
        """No answer came: resend once (policy "resend", first doubt), else give it up as in doubt.

        The chat is paced down, and paused after `pause_after_doubts` doubts in a row.
        """
        platform, chat = self.platform, delivery.chat_id
        self._chat_doubts[chat] += 1
        doubts = self._chat_doubts[chat]
        # Half the chat's pace for every answer that did not come.
        chat_pacer.interval = min(chat_pacer.interval * 2, 60.0)
        resend = self.in_flight == "resend" and not delivery.in_doubt
        retry_at = datetime.now(UTC) + timedelta(seconds=self.doubt_retry_seconds) if resend else None
        await outbox.mark_in_doubt(connection, delivery.id, retry_at=retry_at, error=f"in doubt: {reason}")
        self._count("messages_in_doubt", platform)
        if resend:
            log.warning("%s: no answer to message %d in %s (%s); it may have arrived; sending it once more",
                        platform, delivery.id, chat, reason)
        else:
            why = "already resent once" if delivery.in_doubt else "in_flight = skip"
            log.warning("%s: no answer to message %d in %s (%s); it may have arrived; not resent (%s)",
                        platform, delivery.id, chat, reason, why)
        if doubts >= self.pause_after_doubts:
            until = datetime.now(UTC) + timedelta(seconds=self.pause_seconds)
            why = f"paused: {doubts} sends in a row got no answer ({reason})"
            paused = await outbox.pause_chat(connection, platform, chat, until=until, reason=why)
            log.error("%s: chat %s keeps timing out; %d messages paused until %s",
                      platform, chat, paused, until.isoformat(timespec="seconds"))
            self._chat_doubts.pop(chat, None)
            self._count("chats_paused", platform)

    async def _after_record(self, delivery: Delivery, outcome: SendOutcome) -> None:
        """Hooks run after the outbox change committed; they touch subscriptions only."""
        try:
            if isinstance(outcome, ChatGone) and self.on_chat_gone:
                await self.on_chat_gone(self.platform, delivery.chat_id, outcome.reason)
            if isinstance(outcome, ChatMoved) and self.on_chat_moved:
                await self.on_chat_moved(self.platform, delivery.chat_id, outcome.new_chat_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: could not update the subscription of chat %s", self.platform, delivery.chat_id)

    def _count(self, name: str, platform: str, reason: str | None = None) -> None:
        if self.metrics is None:
            return
        counter = getattr(self.metrics, name, None)
        if counter is None:
            return
        (counter.labels(platform, reason) if reason is not None else counter.labels(platform)).inc()
