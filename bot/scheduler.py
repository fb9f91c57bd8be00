"""The schedule: jobs derived from the database, run by APScheduler, caught up at start.

The database is the source of truth. At start (and on `refresh()`, every `refresh_seconds`
or when asked) the jobs are derived from it: the daily build at `schedule.build_time` on
`schedule.days`, and one delivery job per distinct (time, zone) of the active subscriptions.
Jobs live in memory with explicit zones, `coalesce`, `max_instances=1` and a misfire grace
of hours. Every run acts as of the job's most recent scheduled instant, which makes the
start-up catch-up the same code as an on-time fire: anything due and not done is done once.
Time comes from `clock`, so tests move it instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from paperwire.bot.app import Services
from paperwire.bot.jobs import Slot, build_due_digest, deliver_slot, prune_outbox, slot_of, unplanned_chats
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.config.settings import ScheduleSettings, parse_hhmm

log = logging.getLogger(__name__)

BUILD_JOB = "build"
REFRESH_JOB = "refresh"
RETRY_JOB = "build retry"
# Far enough back to find the last run of a job that runs at least once a week.
LOOKBACK = timedelta(days=8)
# Waits between tries of a build or a planning that failed (the last one repeats until it works).
FAILURE_BACKOFF = (10.0, 30.0, 60.0, 120.0, 300.0)


def backoff(failures: int, steps: Sequence[float] = FAILURE_BACKOFF) -> float:
    return steps[min(max(failures, 1), len(steps)) - 1]


def _problem(error: BaseException) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_trigger(schedule: ScheduleSettings) -> CronTrigger:
    """The daily build: `build_time` in `timezone`, on `days`."""
    at = parse_hhmm(schedule.build_time)
    return CronTrigger(
        day_of_week=",".join(schedule.days),
        hour=at.hour,
        minute=at.minute,
        timezone=ZoneInfo(schedule.timezone),
    )


def slot_trigger(slot: Slot) -> CronTrigger:
    """Every day at the slot's wall-clock time in its zone.

    APScheduler resolves the daylight-saving edges: a time that does not exist that day
    fires once, an hour late; a time that occurs twice fires twice, which `deliver_slot`
    makes harmless (both fires fall on the same local day and find the chats done).
    """
    at = parse_hhmm(slot.time)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=ZoneInfo(slot.zone))


def fire_times(trigger: BaseTrigger, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in [start, end] at which `trigger` fires, in order."""
    times: list[datetime] = []
    cursor = start.astimezone(UTC)
    while True:
        # Always from a UTC instant: wall-clock arithmetic in the zone would stall on a
        # repeated (fall-back) hour.
        fire = trigger.get_next_fire_time(None, cursor)
        if fire is None or fire > end:
            return times
        times.append(fire)
        cursor = fire.astimezone(UTC) + timedelta(microseconds=1)


def last_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The most recent instant, at or before `now`, at which `trigger` fired."""
    times = fire_times(trigger, now - LOOKBACK, now)
    return times[-1] if times else None


async def derive_slots(services: Services, platforms: Sequence[str]) -> set[Slot]:
    """The distinct (time, zone) of the active subscriptions on `platforms`."""
    schedule = services.settings.schedule
    slots: set[Slot] = set()
    async with services.db.connect() as connection:
        for platform in platforms:
            for subscription in await subscription_store.active_subscriptions(connection, platform):
                slots.add(slot_of(subscription, schedule))
    return slots


class ServiceScheduler:
    """The APScheduler instance and the jobs it runs, derived from the database."""

    def __init__(
        self,
        services: Services,
        *,
        platforms: Sequence[str] = (),
        wake: Callable[[], None] | None = None,
        clock: Clock = utc_now,
        refresh_seconds: float = 30.0,
        build_retry_seconds: float = 600.0,
        build_retries: int = 6,
        failure_backoff: Sequence[float] = FAILURE_BACKOFF,
    ) -> None:
        self.services = services
        self.schedule = services.settings.schedule
        self.platforms = list(platforms)
        self.wake = wake
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.build_retry_seconds = build_retry_seconds
        self.build_retries = build_retries
        self.slots: set[Slot] = set()
        self.error: str | None = None
        self.failure_backoff = tuple(failure_backoff)
        # A build that raised: why, and how many times in a row (retried until it succeeds).
        self.build_error: str | None = None
        self.build_failures = 0
        # Slots whose planning failed or is incomplete: chats due and not planned.
        self.unplanned: dict[Slot, int] = {}
        self._slot_failures: dict[Slot, int] = {}
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                # APScheduler wants a positive grace (None would mean "however late").
                "misfire_grace_time": max(self.schedule.misfire_grace_seconds, 1),
            },
        )
        self._build_lock = asyncio.Lock()
        self._slot_locks: dict[Slot, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._retries_left = build_retries
        self._started = False
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, *, catch_up: bool = True) -> None:
        """Derive the jobs, start firing them, and catch up in the background."""
        self.scheduler.add_job(self._run_build, build_trigger(self.schedule), id=BUILD_JOB, name=BUILD_JOB)
        self.scheduler.add_job(
            self._run_refresh, IntervalTrigger(seconds=self.refresh_seconds), id=REFRESH_JOB, name=REFRESH_JOB
        )
        await self.refresh(catch_up=False)
        self.scheduler.start()
        self._started = True
        if catch_up:
            self._spawn(self.catch_up(), "catch-up")

    async def stop(self) -> None:
        """Fire nothing more; cancel what is running (its transactions roll back)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the next loop iteration
        self._started, self._stopped = False, True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def status(self) -> str:
        """For /healthz: "ok (...)" or "error: why"."""
        if self.error is not None:
            return f"error: {self.error}"
        if not self._started:
            return "error: not running" if self._stopped else "ok (starting)"
        problems = []
        if self.build_error is not None:
            problems.append(f"the build failed {self.build_failures} time(s), retrying: {self.build_error}")
        unplanned = sum(self.unplanned.values())
        if unplanned:
            problems.append(f"{unplanned} due chat(s) not planned yet, retrying")
        if problems:
            return "error: " + "; ".join(problems)
        job = self.scheduler.get_job(BUILD_JOB)
        next_build = job.next_run_time.isoformat(timespec="minutes") if job and job.next_run_time else "none"
        slots = f"{len(self.slots)} delivery slot{'' if len(self.slots) == 1 else 's'}"
        return f"ok ({slots}, next build {next_build})"

    # -- deriving jobs ---------------------------------------------------------------------

    async def refresh(self, *, catch_up: bool = True) -> set[Slot]:
        """Re-derive the delivery jobs from the subscriptions; returns the slots added.

        A slot that is new (a chat chose a new time) is caught up at once, so a change made
        just after its time still gets today's digest.
        """
        try:
            slots = await derive_slots(self.services, self.platforms)
        except Exception as error:
            self.error = f"cannot read the subscriptions: {type(error).__name__}: {' '.join(str(error).split())[:200]}"
            log.warning("scheduler: %s", self.error)
            return set()
        self.error = None
        added, removed = slots - self.slots, self.slots - slots
        for slot in removed:
            if self.scheduler.get_job(slot.job_id) is not None:
                self.scheduler.remove_job(slot.job_id)
        for slot in added:
            self.scheduler.add_job(
                self._run_slot, slot_trigger(slot), args=[slot], id=slot.job_id, name=slot.job_id, replace_existing=True
            )
        self.slots = slots
        if added or removed:
            log.info("scheduler: %d delivery slots: %s", len(slots), ", ".join(f"{s.time} {s.zone}" for s in sorted(slots)) or "none")
        if catch_up and self._started:
            for slot in added:
                self._spawn(self.deliver(slot), f"catch-up {slot.job_id}")
        return added

    def next_fire_times(self) -> dict[str, datetime | None]:
        """Each job's next run, for tests and the log."""
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    # -- what the jobs do ------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Anything due and not done, once: the last build, then every slot's last delivery."""
        await self.build()
        for slot in sorted(self.slots):
            await self.deliver(slot)

    async def build(self) -> bool:
        """The build as of its most recent scheduled instant; True when a digest was made."""
        occurrence = last_fire_time(build_trigger(self.schedule), self.clock())
        if occurrence is None:
            return False
        today = occurrence.astimezone(ZoneInfo(self.schedule.timezone)).date()
        async with self._build_lock:
            try:
                result = await build_due_digest(self.services, today=today, platforms=self.platforms)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._build_failed(error)
                return False
            try:
                await prune_outbox(self.services)
            except asyncio.CancelledError:
                raise
            except Exception:  # housekeeping must not stop the day's delivery
                log.exception("scheduler: could not prune the outbox")
        if self.build_error is not None:
            log.info("scheduler: the build succeeded after %d failures", self.build_failures)
        self.build_error, self.build_failures = None, 0
        self.services.metrics.build_failing.set(0)
        if result.retry:
            self._schedule_retry()
        else:
            self._retries_left = self.build_retries
        if result.built:
            # A digest built late still reaches the chats whose time has already come today.
            for slot in sorted(self.slots):
                await self.deliver(slot)
        return result.built

    async def deliver(self, slot: Slot) -> None:
        """The slot's delivery as of its most recent scheduled instant."""
        occurrence = last_fire_time(slot_trigger(slot), self.clock())
        if occurrence is None:
            return
        lock = self._slot_locks.setdefault(slot, asyncio.Lock())
        async with lock:
            try:
                await deliver_slot(self.services, slot, occurrence=occurrence, platforms=self.platforms, wake=self.wake)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                await self._slot_failed(slot, occurrence, error)
                return
        if self._slot_failures.pop(slot, 0):
            log.info("scheduler: slot %s %s is planned", slot.time, slot.zone)
        self.unplanned.pop(slot, None)
        self._publish_unplanned()

    def _build_failed(self, error: Exception) -> None:
        """A build that raised (the database went away, a bad day): tried again with backoff until it works."""
        self.build_failures += 1
        self.build_error = _problem(error)
        self.services.metrics.build_failures.inc()
        self.services.metrics.build_failing.set(1)
        wait = backoff(self.build_failures, self.failure_backoff)
        log.warning("scheduler: the build failed (%s); trying again in %.0f s", self.build_error, wait)
        self._retry_later(RETRY_JOB, self._run_build, wait)

    async def _slot_failed(self, slot: Slot, occurrence: datetime, error: Exception) -> None:
        """Planning stopped part-way: the chats it did not reach are planned by a retry (backoff)."""
        failures = self._slot_failures[slot] = self._slot_failures.get(slot, 0) + 1
        try:
            self.unplanned[slot] = await unplanned_chats(
                self.services, slot, occurrence=occurrence, platforms=self.platforms
            )
        except Exception:  # the database is still away: keep the last count, or say "some"
            self.unplanned[slot] = max(self.unplanned.get(slot, 0), 1)
        self._publish_unplanned()
        wait = backoff(failures, self.failure_backoff)
        log.warning("scheduler: planning slot %s %s failed (%s); %d chats not planned; trying again in %.0f s",
                    slot.time, slot.zone, _problem(error), self.unplanned[slot], wait)
        self._retry_later(f"retry {slot.job_id}", self._run_slot, wait, args=[slot])

    async def check_planned(self) -> None:
        """Every slot's due chats have their messages, or the slot is planned again (self-healing)."""
        for slot in sorted(self.slots):
            lock = self._slot_locks.get(slot)
            if lock is not None and lock.locked():
                continue  # being planned right now
            occurrence = last_fire_time(slot_trigger(slot), self.clock())
            if occurrence is None:
                continue
            count = await unplanned_chats(self.services, slot, occurrence=occurrence, platforms=self.platforms)
            if count:
                self.unplanned[slot] = count
                if self.scheduler.get_job(f"retry {slot.job_id}") is None:
                    log.warning("scheduler: %d chats of slot %s %s are due and not planned; planning them",
                                count, slot.time, slot.zone)
                    self._spawn(self.deliver(slot), f"re-plan {slot.job_id}")
            else:
                self.unplanned.pop(slot, None)
        self._publish_unplanned()

    def _publish_unplanned(self) -> None:
        self.services.metrics.unplanned_chats.set(sum(self.unplanned.values()))

    def _retry_later(self, job_id: str, run: Callable[..., Any], wait: float, args: list[Any] | None = None) -> None:
        if not self._started:
            return
        when = utc_now() + timedelta(seconds=wait)
        self.scheduler.add_job(run, DateTrigger(when), args=args or [], id=job_id, name=job_id, replace_existing=True)

    def _schedule_retry(self) -> None:
        if self._retries_left <= 0 or not self._started:
            log.warning("scheduler: the build could not fetch its list; next try at the next build time")
            return
        self._retries_left -= 1
        when = self.clock() + timedelta(seconds=self.build_retry_seconds)
        self.scheduler.add_job(self._run_build, DateTrigger(when), id=RETRY_JOB, name=RETRY_JOB, replace_existing=True)
        log.info("scheduler: will try the build again at %s", when.isoformat(timespec="seconds"))

    # -- APScheduler entry points: never raise, always tracked so stop() can cancel them ---

    async def _run_build(self) -> None:
        await self._tracked(self.build(), BUILD_JOB)

    async def _run_slot(self, slot: Slot) -> None:
        await self._tracked(self.deliver(slot), slot.job_id)

    async def _run_refresh(self) -> None:
        await self._tracked(self._refresh_and_check(), REFRESH_JOB)

    async def _refresh_and_check(self) -> None:
        await self.refresh()
        if self.error is None:
            await self.check_planned()

    async def _tracked(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler: job %s failed", name)
        finally:
            if task is not None:
                self._tasks.discard(task)

    def _spawn(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(self._tracked(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
