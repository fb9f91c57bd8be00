"""Empty-day notices: one row per list day found empty, and its one-line message per chat."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.store import outbox
from paperwire.bot.store.papers import dialect_insert
from paperwire.bot.store.schema import deliveries, list_days, notices


async def newest_empty_day(
    connection: AsyncConnection, *, oldest: date, newest: date, after: date | None = None
) -> date | None:
    """The newest list day stored as empty in [oldest, newest], later than `after` if given."""
    query = select(func.max(list_days.c.list_day)).where(
        list_days.c.paper_count == 0, list_days.c.list_day <= newest, list_days.c.list_day >= oldest
    )
    if after is not None:
        query = query.where(list_days.c.list_day > after)
    return (await connection.execute(query)).scalar_one()


async def notice_id(connection: AsyncConnection, list_day: date) -> int:
    """The notice of `list_day`, made the first time it is asked for (safe in two processes)."""
    insert = dialect_insert(connection, notices).on_conflict_do_nothing(index_elements=["list_day"])
    await connection.execute(insert, {"list_day": list_day, "created_at": datetime.now(UTC)})
    return (await connection.execute(select(notices.c.id).where(notices.c.list_day == list_day))).scalar_one()


async def plan_notice(
    connection: AsyncConnection, notice: int, payloads: Mapping[tuple[str, str], dict[str, Any]]
) -> int:
    """One outbox row per (platform, chat id) → payload; a chat that has the row keeps it. Rows added."""
    if not payloads:
        return 0
    now = datetime.now(UTC)
    insert = dialect_insert(connection, deliveries).on_conflict_do_nothing(
        index_elements=["notice_id", "platform", "chat_id", "message_index"],
        index_where=deliveries.c.notice_id.isnot(None),
    )
    added = 0
    for (platform, chat_id), payload in payloads.items():
        outcome = await connection.execute(
            insert,
            {
                "notice_id": notice,
                "platform": platform,
                "chat_id": chat_id,
                "message_index": 0,
                "payload": payload,
                "status": outbox.PENDING,
                "attempts": 0,
                "not_before": now,
                "created_at": now,
            },
        )
        added += outcome.rowcount or 0
    return added


__all__ = ["newest_empty_day", "notice_id", "plan_notice"]
