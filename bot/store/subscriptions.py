"""Per-chat subscriptions: which chat gets the digest, for which topics, when and in what language.

Chat commands write them, the scheduler reads them and delivery switches them off when a
chat is gone. Values are checked here too, so nothing malformed reaches the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import LANGUAGES
from paperwire.bot.store.papers import dialect_insert
from paperwire.bot.store.schema import subscriptions
from paperwire.config.settings import check_timezone, parse_hhmm

ORIGINS = ("config", "chat")


@dataclass(slots=True)
class Subscription:
    """One chat's subscription row. `None` time, zone or language means "the configured default"."""

    platform: str
    chat_id: str
    topics: list[str] = field(default_factory=list)  # empty: every topic
    delivery_time: str | None = None  # "HH:MM"
    timezone: str | None = None  # IANA name
    language: str | None = None
    active: bool = True
    origin: str = "chat"
    chat_kind: str = "unknown"
    deactivated_reason: str | None = None
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def _subscription(row: Any) -> Subscription:
    return Subscription(
        platform=row.platform,
        chat_id=row.chat_id,
        topics=list(row.topics or []),
        delivery_time=row.delivery_time,
        timezone=row.timezone,
        language=row.language,
        active=bool(row.active),
        origin=row.origin,
        chat_kind=row.chat_kind,
        deactivated_reason=row.deactivated_reason,
        id=row.id,
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
    )


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def check_values(
    *, delivery_time: str | None = None, timezone: str | None = None, language: str | None = None
) -> None:
    """Raise ValueError, naming the right form, for a value the scheduler could not use."""
    if delivery_time is not None and parse_hhmm(delivery_time).strftime("%H:%M") != delivery_time:
        raise ValueError(f"{delivery_time!r} is not a time; use HH:MM, e.g. 09:00")
    if timezone is not None:
        if len(timezone) > subscriptions.c.timezone.type.length:
            raise ValueError(f"{timezone[:20]!r}... is not a time zone; use an IANA name, e.g. Europe/Berlin")
        check_timezone(timezone)
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"{language!r} is not a language; use one of {', '.join(LANGUAGES)}")


def _check_chat(platform: str, chat_id: str) -> None:
    checks = (("platform", platform, subscriptions.c.platform), ("chat id", chat_id, subscriptions.c.chat_id))
    for name, value, column in checks:
        if not 0 < len(value) <= column.type.length:
            raise ValueError(f"{name} {value[:40]!r} must be 1 to {column.type.length} characters")


async def get_subscription(connection: AsyncConnection, platform: str, chat_id: str) -> Subscription | None:
    row = (
        await connection.execute(
            select(subscriptions).where(subscriptions.c.platform == platform, subscriptions.c.chat_id == chat_id)
        )
    ).first()
    return _subscription(row) if row else None


async def upsert_subscription(
    connection: AsyncConnection,
    platform: str,
    chat_id: str,
    *,
    topics: list[str] | None = None,
    delivery_time: str | None = None,
    timezone: str | None = None,
    language: str | None = None,
    active: bool | None = None,
    deactivated_reason: str | None = None,
    chat_kind: str | None = None,
    origin: str = "chat",
    now: datetime | None = None,
) -> Subscription:
    """Create the chat's row or change the fields given; a field left None keeps its value.

    A new row is active unless `active` says otherwise. `origin` applies to a new row only:
    a chat named in the settings stays "config" when someone there types a command.
    Raises ValueError for a malformed time, zone, language or origin.
    """
    check_values(delivery_time=delivery_time, timezone=timezone, language=language)
    _check_chat(platform, chat_id)
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    now = now or datetime.now(UTC)
    changes: dict[str, Any] = {
        "topics": list(topics) if topics is not None else None,
        "delivery_time": delivery_time,
        "timezone": timezone,
        "language": language,
        "active": active,
        "chat_kind": chat_kind,
    }
    changes = {key: value for key, value in changes.items() if value is not None}
    if active is not None:
        changes["deactivated_reason"] = None if active else deactivated_reason
    values = {
        "platform": platform,
        "chat_id": chat_id,
        "origin": origin,
        "topics": [],
        "chat_kind": "unknown",
        "active": True,
        "created_at": now,
        **changes,
        "updated_at": now,
    }
    insert = dialect_insert(connection, subscriptions)
    statement = insert.on_conflict_do_update(
        index_elements=[subscriptions.c.platform, subscriptions.c.chat_id],
        set_={**{key: getattr(insert.excluded, key) for key in changes}, "updated_at": insert.excluded.updated_at},
    )
    await connection.execute(statement, values)
    stored = await get_subscription(connection, platform, chat_id)
    assert stored is not None
    return stored


async def add_missing(
    connection: AsyncConnection,
    platform: str,
    chats: list[tuple[str, list[str], str | None]],
    *,
    origin: str = "config",
    now: datetime | None = None,
) -> None:
    """Create a row for each (chat id, topics, language) that has none, in batches; existing
    rows are left exactly as they are. Raises ValueError as upsert does."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    for chat_id, _topics, language in chats:
        _check_chat(platform, chat_id)
        check_values(language=language)
    now = now or datetime.now(UTC)
    statement = (
        dialect_insert(connection, subscriptions)
        .on_conflict_do_nothing(index_elements=[subscriptions.c.platform, subscriptions.c.chat_id])
    )
    for start in range(0, len(chats), 5000):
        rows = [
            {
                "platform": platform,
                "chat_id": chat_id,
                "origin": origin,
                "topics": list(topics),
                "chat_kind": "unknown",
                "language": language,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for chat_id, topics, language in chats[start : start + 5000]
        ]
        await connection.execute(statement, rows)


async def set_active(
    connection: AsyncConnection,
    platform: str,
    chat_id: str,
    active: bool,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """Switch a chat's digest on or off (with why, when off); False when there is no such row."""
    result = await connection.execute(
        subscriptions.update()
        .where(subscriptions.c.platform == platform, subscriptions.c.chat_id == chat_id)
        .values(active=active, deactivated_reason=None if active else reason, updated_at=now or datetime.now(UTC))
    )
    return bool(result.rowcount)


async def deactivate(connection: AsyncConnection, platform: str, chat_id: str, reason: str) -> bool:
    """Stop a chat's digest: unsubscribed, or the platform says the chat is gone."""
    return await set_active(connection, platform, chat_id, False, reason)


async def list_subscriptions(
    connection: AsyncConnection, *, platform: str | None = None, active: bool | None = None
) -> list[Subscription]:
    """Subscriptions in a stable order (platform, then chat id), optionally filtered."""
    query = select(subscriptions).order_by(subscriptions.c.platform, subscriptions.c.chat_id)
    if platform is not None:
        query = query.where(subscriptions.c.platform == platform)
    if active is not None:
        query = query.where(subscriptions.c.active.is_(active))
    return [_subscription(row) for row in (await connection.execute(query)).all()]


async def active_subscriptions(connection: AsyncConnection, platform: str | None = None) -> list[Subscription]:
    """What the scheduler delivers to."""
    return await list_subscriptions(connection, platform=platform, active=True)


@dataclass(frozen=True, slots=True)
class SlotMember:
    """What delivering a slot needs of a subscription, read without the rest of its row."""

    platform: str
    chat_id: str
    topics: list[str]
    language: str | None


async def active_in_slot(
    connection: AsyncConnection,
    platform: str,
    *,
    delivery_time: str,
    timezone: str,
    default_time: str,
    default_zone: str,
    created_by: datetime,
    limit: int | None = None,
    after: str | None = None,
) -> list[SlotMember]:
    """Active subscriptions delivered at (`delivery_time`, `timezone`), a row without its own
    time or zone taking the defaults; a chat made with /subscribe after `created_by` is not
    due yet, a configured one always is. Chosen by the database, in chat id order: `after`
    and `limit` read them a page at a time."""
    query = (
        select(subscriptions.c.chat_id, subscriptions.c.topics, subscriptions.c.language)
        .where(
            subscriptions.c.platform == platform,
            subscriptions.c.active.is_(True),
            func.coalesce(subscriptions.c.delivery_time, default_time) == delivery_time,
            func.coalesce(subscriptions.c.timezone, default_zone) == timezone,
            (subscriptions.c.origin == "config") | (subscriptions.c.created_at <= created_by.astimezone(UTC)),
        )
        .order_by(subscriptions.c.chat_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(subscriptions.c.chat_id > after)
    return [
        SlotMember(platform, chat_id, list(topics or []), language)
        for chat_id, topics, language in (await connection.execute(query)).all()
    ]


async def move_chat(
    connection: AsyncConnection, platform: str, old_id: str, new_id: str, *, now: datetime | None = None
) -> bool:
    """Follow a chat to its new id (a Telegram group that became a supergroup).

    True when the row moved. When the new id already has a row (configured, or subscribed
    after the move), that row wins and the old one is switched off naming the new id.
    """
    if old_id == new_id:
        return False
    now = now or datetime.now(UTC)
    if await get_subscription(connection, platform, new_id) is not None:
        await set_active(connection, platform, old_id, False, f"migrated to {new_id}", now=now)
        return False
    result = await connection.execute(
        subscriptions.update()
        .where(subscriptions.c.platform == platform, subscriptions.c.chat_id == old_id)
        .values(chat_id=new_id, updated_at=now)
    )
    return bool(result.rowcount)


REMOVED_FROM_CONFIG = "removed from the configuration"
# A chat that typed `settings` without subscribing (handlers/subscribing.py): once the
# configuration names it, the configuration is its subscription.
SETTINGS_ONLY = "settings only, not subscribed"


@dataclass(slots=True)
class ConfiguredChat:
    """A chat the settings name: its platform, id, and language and topics (None/[]: defaults)."""

    platform: str
    chat_id: str
    language: str | None = None
    topics: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ChatSync:
    """What following the configuration changes: rows to add, to change, to switch off."""

    added: list[Subscription] = field(default_factory=list)
    changed: list[Subscription] = field(default_factory=list)
    removed: list[Subscription] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def plan_chat_sync(rows: list[Subscription], configured: list[ConfiguredChat]) -> tuple[ChatSync, list[Subscription]]:
    """(the changes, every row as it will be) for the subscriptions to follow the settings.

    A configured chat is added, or its language and topics set to the settings'; one the
    settings no longer name is switched off (its history stays). A chat switched off after a
    permanent error, or by its own `unsubscribe`, stays off; one switched off because it left
    the settings, or that only ever set its settings, is on.
    Pure: `sync_configured_chats` writes the plan, a dry run only looks at it.
    """
    sync = ChatSync()
    by_key = {(row.platform, row.chat_id): row for row in rows}
    named = set()
    result: dict[tuple[str, str], Subscription] = {key: row for key, row in by_key.items()}
    for chat in configured:
        key = (chat.platform, chat.chat_id)
        named.add(key)
        row = by_key.get(key)
        topics = sorted(set(chat.topics))
        if row is None:
            new = Subscription(chat.platform, chat.chat_id, topics=topics, language=chat.language, origin="config")
            sync.added.append(new)
            result[key] = new
            continue
        back = not row.active and row.deactivated_reason in (REMOVED_FROM_CONFIG, SETTINGS_ONLY)
        if row.origin != "config" or sorted(row.topics) != topics or row.language != chat.language or back:
            updated = replace(row, origin="config", topics=topics, language=chat.language)
            if back:
                updated.active, updated.deactivated_reason = True, None
            sync.changed.append(updated)
            result[key] = updated
    for key, row in by_key.items():
        if row.origin == "config" and row.active and key not in named:
            gone = replace(row, active=False, deactivated_reason=REMOVED_FROM_CONFIG)
            sync.removed.append(gone)
            result[key] = gone
    return sync, list(result.values())


async def sync_configured_chats(
    connection: AsyncConnection, configured: list[ConfiguredChat], *, now: datetime | None = None
) -> ChatSync:
    """Make the subscriptions follow the settings (see plan_chat_sync) and say what changed."""
    sync, _ = plan_chat_sync(await list_subscriptions(connection), configured)
    now = now or datetime.now(UTC)
    added: dict[str, list[tuple[str, list[str], str | None]]] = {}
    for row in sync.added:  # in bulk: a popular bot's settings may name tens of thousands
        added.setdefault(row.platform, []).append((row.chat_id, list(row.topics), row.language))
    for platform, chats in added.items():
        await add_missing(connection, platform, chats, origin="config", now=now)
    for row in sync.changed + sync.removed:
        check_values(language=row.language)
        await connection.execute(
            subscriptions.update()
            .where(subscriptions.c.platform == row.platform, subscriptions.c.chat_id == row.chat_id)
            .values(
                origin=row.origin,
                topics=list(row.topics),
                language=row.language,
                active=row.active,
                deactivated_reason=row.deactivated_reason,
                updated_at=now,
            )
        )
    return sync
