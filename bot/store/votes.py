"""Votes: what each chat's members said of papers. The last vote of a user stands."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Paper
from paperwire.bot.store.papers import dialect_insert, get_papers
from paperwire.bot.store.schema import votes


async def record_vote(
    connection: AsyncConnection,
    platform: str,
    chat_id: str,
    user_id: str,
    arxiv_id: str,
    value: int,
    *,
    now: datetime | None = None,
) -> None:
    """Store a user's 👍 (+1) or 👎 (-1) on a paper in a chat, replacing their earlier one."""
    if value not in (1, -1):
        raise ValueError(f"a vote is +1 or -1, not {value!r}")
    insert = dialect_insert(connection, votes)
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=["platform", "chat_id", "user_id", "arxiv_id"],
            set_={"value": insert.excluded.value, "voted_at": insert.excluded.voted_at},
        ),
        {
            "platform": platform,
            "chat_id": chat_id,
            "user_id": user_id,
            "arxiv_id": arxiv_id,
            "value": value,
            "voted_at": now or datetime.now(UTC),
        },
    )


async def chat_votes(connection: AsyncConnection, platform: str, chat_id: str) -> dict[str, int]:
    """Per paper, the chat's net vote (likes minus dislikes), zero totals left out."""
    rows = await connection.execute(
        select(votes.c.arxiv_id, func.sum(votes.c.value))
        .where(votes.c.platform == platform, votes.c.chat_id == chat_id)
        .group_by(votes.c.arxiv_id)
    )
    return {arxiv_id: int(total) for arxiv_id, total in rows if total}


async def chats_with_votes(connection: AsyncConnection) -> set[tuple[str, str]]:
    """(platform, chat id) of every chat that has voted."""
    rows = await connection.execute(select(votes.c.platform, votes.c.chat_id).distinct())
    return {(platform, chat_id) for platform, chat_id in rows}


async def voted_papers(connection: AsyncConnection, platform: str, chat_id: str) -> list[tuple[Paper, int]]:
    """The papers a chat voted on, with its net vote on each (what its taste is learned from)."""
    net = await chat_votes(connection, platform, chat_id)
    found = await get_papers(connection, list(net))
    return [(found[arxiv_id], value) for arxiv_id, value in net.items() if arxiv_id in found]


async def forget_votes(connection: AsyncConnection, platform: str, chat_id: str) -> int:
    """Delete a chat's votes; returns how many there were."""
    result = await connection.execute(delete(votes).where(votes.c.platform == platform, votes.c.chat_id == chat_id))
    return int(result.rowcount or 0)
