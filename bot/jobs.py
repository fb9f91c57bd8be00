"""What the scheduled jobs do: build the day's digest, and deliver it to one delivery slot.

Both act "as of" a scheduled instant, so a late run (catch-up after downtime) does what the
on-time run would have done, once. Both are harmless to run twice or in two processes at
once: a digest has a unique key per (list day, language, topics), every message a unique
outbox key, and a chat that already has messages planned for a list day is not planned again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from paperwire.bot.app import Services, platform_named, renderers
from paperwire.bot.delivery.publish import FIRST_PAGE_CHATS, Target, plan_publication
from paperwire.bot.models import LANGUAGES, Language
from paperwire.bot.sources.errors import FutureDateError, SourceError
from paperwire.bot.store import digests as digest_store
from paperwire.bot.store import notices as notice_store
from paperwire.bot.store import outbox
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.bot.store.subscriptions import SlotMember, Subscription
from paperwire.config.settings import ScheduleSettings
from paperwire.formatters.labels import label

log = logging.getLogger(__name__)

# How far back a build looks for a list day that has papers and no digest yet.
LOOKBACK_DAYS = 7
# A delivery never sends a digest published longer ago than this (a chat that subscribes
# during a long holiday does not get a stale digest as its first message).
MAX_DIGEST_AGE_DAYS = 7
# A slot's subscribers are read this many at a time (each page a short pause of the loop).
SUBSCRIBER_PAGE = 5000


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A delivery time in a zone; every subscription with the same (time, zone) is delivered together."""

    time: str  # "HH:MM"
    zone: str  # IANA name

    @property
    def job_id(self) -> str:
        return f"deliver {self.time} {self.zone}"


def slot_of(subscription: Subscription, schedule: ScheduleSettings) -> Slot:
    """The subscription's own time and zone; a configured chat without them uses the schedule's."""
    return Slot(subscription.delivery_time or schedule.delivery_time, subscription.timezone or schedule.timezone)


@dataclass(slots=True)
class BuildResult:
    list_day: date | None = None  # the list day whose digest now exists, if any
    built: bool = False  # True when this run made the digest
    empty_days: list[date] = field(default_factory=list)
    retry: bool = False  # a list could not be fetched; worth trying again later


@dataclass(slots=True)
class SlotResult:
    list_day: date | None = None  # the list day due at this slot, if any
    planned: list[Target] = field(default_factory=list)
    messages: int = 0  # outbox rows this run added (another process may have added the rest)
    already_done: int = 0
    notices: int = 0


async def build_due_digest(
    services: Services, *, today: date | None = None, platforms: Sequence[str] = ()
) -> BuildResult:
    """Build the most recent list day (before `today`) that has papers and no digest yet.

    `today` is the local date of the build's scheduled instant (default: now, in the
    schedule's zone). A day not stored yet is fetched first; a network error is logged and
    reported as `retry`, never raised. Days found empty are stored as such, and yield no
    digest. Besides the global digest in the default language, the digests the active
    subscriptions on `platforms` will need are built too, so deliveries only plan.
    """
    settings = services.settings
    today = today or datetime.now(ZoneInfo(settings.schedule.timezone)).date()
    result = BuildResult()
    oldest = today - timedelta(days=LOOKBACK_DAYS)
    async with services.db.connect() as connection:
        newest_digest = await digest_store.newest_digest_day(connection, oldest=oldest, before=today)
        counts = await paper_store.list_day_counts(connection, oldest=oldest, before=today)
    for back in range(1, LOOKBACK_DAYS + 1):
        day = today - timedelta(days=back)
        if newest_digest is not None and day <= newest_digest:
            break
        count = counts.get(day)
        if not count:
            # Not stored yet, or stored empty (a list fetched early may have filled since).
            count = await _fetch_day(services, day, result)
            if count is None:
                continue
        if count == 0:
            result.empty_days.append(day)
            continue
        language = settings.digest.language
        async with services.db.connect() as connection:
            existed = await digest_store.has_digest(connection, day)
        digest = await services.pipeline.build(day, language)
        if digest is None:  # the day's papers vanished between the count and the build
            continue
        result.list_day, result.built = day, not existed
        if result.built:
            log.info("digest of list day %s ready (%s, %d picks)", day, language, len(digest.entries))
        await _build_subscription_digests(services, day, platforms)
        return result
    result.list_day = newest_digest
    if result.empty_days and not result.retry:
        log.info("no papers on %s: no digest", ", ".join(str(day) for day in result.empty_days))
    return result


async def _fetch_day(services: Services, day: date, result: BuildResult) -> int | None:
    """Fetch and store a list day; its paper count, or None when it could not be read."""
    try:
        day_papers = await services.hf.fetch_day(day)
    except FutureDateError:
        return None
    except SourceError as error:
        log.warning("could not fetch the list of %s: %s; will try again", day, error)
        result.retry = True
        return None
    await services.pipeline.ingest(day_papers, services.settings.sources.hf_base_url)
    return len(day_papers.papers)


async def _build_subscription_digests(services: Services, day: date, platforms: Sequence[str]) -> None:
    """The digest each (language, topics) of an active subscription will get, built now."""
    wanted: set[tuple[Language, tuple[str, ...]]] = set()
    async with services.db.connect() as connection:
        for platform in platforms:
            for subscription in await subscription_store.active_subscriptions(connection, platform):
                target = _target_of(subscription, services)
                wanted.add((target.language, target.topics))
    for language, topics in sorted(wanted):
        await services.pipeline.build(day, language, topics)


async def deliver_slot(
    services: Services,
    slot: Slot,
    *,
    occurrence: datetime | None = None,
    platforms: Sequence[str] = (),
    wake: Callable[[], None] | None = None,
) -> SlotResult:
    """Plan the digest due at `occurrence` for every subscription of `slot` that lacks it.

    The digest due is the newest one published (list day + offset) on or before the
    occurrence's local date. Each chat gets it in its own language and topics, once: a
    chat that already has messages planned for that list day is skipped, so a second fire
    (two processes, a daylight-saving repeat, a catch-up) plans nothing. With no new digest
    and `digest.empty_day_notice` on, a chat gets one notice per empty list day instead.
    `wake` is called as soon as the first chat is planned, so sending starts at once.
    """
    settings = services.settings
    occurrence = occurrence or datetime.now(UTC)
    local_day = occurrence.astimezone(ZoneInfo(slot.zone)).date()
    result = SlotResult()
    # A first page of the slot's chats, so a large audience's first messages go out before
    # the rest of it is read.
    first = await _slot_subscribers(services, slot, occurrence, platforms, limit=FIRST_PAGE_CHATS)
    if not first:
        return result
    async with services.db.connect() as connection:
        due = await digest_store.due_digest_day(
            connection, published_by=local_day, oldest=local_day - timedelta(days=MAX_DIGEST_AGE_DAYS)
        )
        done = await digest_store.chats_with_day(connection, due) if due is not None else set()
    early: set[tuple[str, str]] = set()
    if due is not None and wake is not None:
        firsts = [_target_of(subscription, services) for subscription in first]
        firsts = [target for target in firsts if (target.platform, target.chat_id) not in done]
        await _plan(services, due, firsts, wake, result)
        early = {(target.platform, target.chat_id) for target in result.planned}
    subscribers = await _slot_subscribers(services, slot, occurrence, platforms)
    targets = [_target_of(subscription, services) for subscription in subscribers]
    result.list_day = due
    if due is not None:
        skip = done | early
        pending = [target for target in targets if (target.platform, target.chat_id) not in skip]
        result.already_done = len(targets) - len(pending) - len(early)
        if pending:
            await _plan(services, due, pending, wake, result)
        if pending or early:
            log.info(
                "slot %s %s: list day %s planned for %d chats, %d messages (%d chats had it)",
                slot.time, slot.zone, due, len(result.planned), result.messages, result.already_done,
            )  # fmt: skip
    if settings.digest.empty_day_notice:
        result.notices = await _plan_notices(services, local_day, due, targets, done)
        if result.notices and wake is not None:
            wake()
    return result


async def unplanned_chats(
    services: Services, slot: Slot, *, occurrence: datetime, platforms: Sequence[str] = ()
) -> int:
    """How many chats of `slot` are due the digest of `occurrence` and have no messages planned."""
    subscribers = await _slot_subscribers(services, slot, occurrence, platforms)
    if not subscribers:
        return 0
    local_day = occurrence.astimezone(ZoneInfo(slot.zone)).date()
    async with services.db.connect() as connection:
        due = await digest_store.due_digest_day(
            connection, published_by=local_day, oldest=local_day - timedelta(days=MAX_DIGEST_AGE_DAYS)
        )
        if due is None:
            return 0
        done = await digest_store.chats_with_day(connection, due)
    return sum(1 for subscription in subscribers if (subscription.platform, subscription.chat_id) not in done)


async def _plan(
    services: Services, day: date, targets: list[Target], wake: Callable[[], None] | None, result: SlotResult
) -> None:
    # Planned in pages (a small one first): `wake` after each, so sending starts at once.
    render = renderers(services.settings.digest.empty_day_notice)
    plan = await plan_publication(services.pipeline, services.db, day, targets, render, on_page=wake)
    if plan is None:
        return
    result.planned.extend(plan.targets)
    result.messages += plan.rows_added


async def prune_outbox(services: Services, *, now: datetime | None = None) -> int:
    """Drop the payloads of messages closed and planned more than the retention ago (daily)."""
    days = services.settings.database.outbox_retention_days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    async with services.db.begin() as connection:
        dropped = await outbox.drop_old_payloads(connection, cutoff)
    if dropped:
        log.info("outbox: dropped %d payloads of messages planned before %s", dropped, cutoff.date())
    return dropped


async def _slot_subscribers(
    services: Services, slot: Slot, occurrence: datetime, platforms: Sequence[str], *, limit: int | None = None
) -> list[SlotMember]:
    """Active subscriptions of the slot that existed at `occurrence`, at most `limit` a platform.

    A chat that subscribed after the slot's time waits for the next one; a chat named in
    the settings is due as soon as it is registered. Read in pages, so a large audience does
    not hold the event loop (and the first chats' sends) while it is read.
    """
    schedule = services.settings.schedule
    chosen: list[SlotMember] = []
    for platform in platforms:
        taken, after = 0, None
        while limit is None or taken < limit:
            size = SUBSCRIBER_PAGE if limit is None else min(SUBSCRIBER_PAGE, limit - taken)
            async with services.db.connect() as connection:
                page = await subscription_store.active_in_slot(
                    connection,
                    platform,
                    delivery_time=slot.time,
                    timezone=slot.zone,
                    default_time=schedule.delivery_time,
                    default_zone=schedule.timezone,
                    created_by=occurrence,
                    limit=size,
                    after=after,
                )
            chosen += page
            taken += len(page)
            if len(page) < size:
                break
            after = page[-1].chat_id
    return chosen


def _target_of(subscription: Subscription | SlotMember, services: Services) -> Target:
    language = subscription.language if subscription.language in LANGUAGES else services.settings.digest.language
    return Target(subscription.platform, subscription.chat_id, language, tuple(sorted(subscription.topics)))  # type: ignore[arg-type]


# -- empty-day notices ---------------------------------------------------------------------


async def _plan_notices(
    services: Services,
    local_day: date,
    due: date | None,
    targets: Sequence[Target],
    done: set[tuple[str, str]],
) -> int:
    """One notice per chat for the newest list day found empty since the last digest.

    Each empty list day has one notice row; a chat's message is keyed by (notice, chat), so
    it is planned once per chat and empty day, however many processes plan it.
    """
    offset = timedelta(days=services.settings.digest.publish_offset_days)
    async with services.db.begin() as connection:
        empty_day = await notice_store.newest_empty_day(
            connection,
            oldest=local_day - timedelta(days=MAX_DIGEST_AGE_DAYS),
            newest=local_day - offset,
            after=due,
        )
        if empty_day is None:
            return 0
        payloads = {
            (target.platform, target.chat_id): notice_payload(
                target.platform, label(target.language, "no_papers_day", date=empty_day)
            )
            for target in targets
            # a chat that has the digest itself coming gets no notice
            if due is None or (target.platform, target.chat_id) in done
        }
        if not payloads:
            return 0
        notice = await notice_store.notice_id(connection, empty_day)
        return await notice_store.plan_notice(connection, notice, payloads)


def notice_payload(platform: str, text: str) -> dict:
    """A one-line message as the platform's sender expects its outbox payload."""
    return platform_named(platform).notice_payload(text)


__all__ = [
    "BuildResult",
    "Slot",
    "SlotResult",
    "build_due_digest",
    "deliver_slot",
    "notice_payload",
    "prune_outbox",
    "slot_of",
    "unplanned_chats",
]

