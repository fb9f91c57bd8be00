"""Digest rows (one per list day, language and topic filter) and the per-language card cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Card, Paper
from paperwire.bot.store.papers import dialect_insert, paper_from_row
from paperwire.bot.store.schema import deliveries, digests, papers, picks, summaries


@dataclass(slots=True)
class DigestRecord:
    id: int
    list_day: date
    language: str
    topics: list[str]
    published_on: date
    generated_at: datetime
    stats: dict[str, Any] = field(default_factory=dict)


def topics_key(topics: list[str] | tuple[str, ...]) -> str:
    return ",".join(sorted(set(topics)))


def _record(row: Any) -> DigestRecord:
    generated_at = row.generated_at
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    return DigestRecord(
        id=row.id,
        list_day=row.list_day,
        language=row.language,
        topics=[topic for topic in row.topics_key.split(",") if topic],
        published_on=row.published_on,
        generated_at=generated_at,
        stats=dict(row.stats or {}),
    )


async def find_digest(
    connection: AsyncConnection, list_day: date, language: str, topics: list[str] | tuple[str, ...] = ()
) -> DigestRecord | None:
    row = (
        await connection.execute(
            select(digests).where(
                digests.c.list_day == list_day,
                digests.c.language == language,
                digests.c.topics_key == topics_key(topics),
            )
        )
    ).first()
    return _record(row) if row else None


async def create_digest(
    connection: AsyncConnection,
    *,
    list_day: date,
    language: str,
    topics: list[str] | tuple[str, ...],
    published_on: date,
    stats: dict[str, Any],
) -> DigestRecord:
    """Insert the digest row unless it exists; either way return the stored row.

    The unique key (list day, language, topics) makes two builders agree on one digest.
    """
    insert = dialect_insert(connection, digests).on_conflict_do_nothing(
        index_elements=["list_day", "language", "topics_key"]
    )
    await connection.execute(
        insert,
        {
            "list_day": list_day,
            "language": language,
            "topics_key": topics_key(topics),
            "published_on": published_on,
            "generated_at": datetime.now(UTC),
            "stats": stats,
        },
    )
    record = await find_digest(connection, list_day, language, topics)
    assert record is not None
    return record


async def get_digest(connection: AsyncConnection, digest_id: int) -> DigestRecord | None:
    row = (await connection.execute(select(digests).where(digests.c.id == digest_id))).first()
    return _record(row) if row else None


async def published_digests(connection: AsyncConnection, language: str | None = None) -> list[DigestRecord]:
    """Global digests (no topic filter), oldest first."""
    query = select(digests).where(digests.c.topics_key == "").order_by(digests.c.list_day)
    if language is not None:
        query = query.where(digests.c.language == language)
    return [_record(row) for row in (await connection.execute(query)).all()]


async def cached_card(
    connection: AsyncConnection, arxiv_id: str, language: str, model: str, prompt_version: str
) -> Card | None:
    row = (
        await connection.execute(
            select(summaries.c.card).where(
                summaries.c.arxiv_id == arxiv_id,
                summaries.c.language == language,
                summaries.c.model == model,
                summaries.c.prompt_version == prompt_version,
            )
        )
    ).first()
    return Card.model_validate(row.card) if row else None


async def store_card(
    connection: AsyncConnection,
    *,
    arxiv_id: str,
    language: str,
    model: str,
    prompt_version: str,
    card: Card,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    calls: int = 0,
) -> None:
    """Cache a card under (paper, language, model, prompt version) with what it cost.

    An LLM card the grounding check rejected is stored as its extractive fallback under the
    LLM's key, so no build, `today` or `paper` asks the model for it again.
    """
    insert = dialect_insert(connection, summaries).on_conflict_do_nothing()
    await connection.execute(
        insert,
        {
            "arxiv_id": arxiv_id,
            "language": language,
            "model": model,
            "prompt_version": prompt_version,
            "card": card.model_dump(mode="json"),
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "calls": calls,
            "created_at": datetime.now(UTC),
        },
    )


async def card_spend(
    connection: AsyncConnection, arxiv_ids: list[str], language: str, model: str, prompt_version: str
) -> tuple[int, int, int]:
    """(calls, prompt tokens, completion tokens) the stored cards of these papers cost in total."""
    if not arxiv_ids:
        return 0, 0, 0
    row = (
        await connection.execute(
            select(
                func.coalesce(func.sum(summaries.c.calls), 0),
                func.coalesce(func.sum(summaries.c.prompt_tokens), 0),
                func.coalesce(func.sum(summaries.c.completion_tokens), 0),
            ).where(
                summaries.c.arxiv_id.in_(arxiv_ids),
                summaries.c.language == language,
                summaries.c.model == model,
                summaries.c.prompt_version == prompt_version,
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


@dataclass(slots=True)
class Placement:
    """The most recent digest pick of a paper: its list day, topic and stars."""

    list_day: date
    topic: str
    stars: int
    score: float
    rank: int


async def stored_paper(
    connection: AsyncConnection, arxiv_id: str, language: str, model: str, prompt_version: str
) -> tuple[Paper, Card | None, Placement | None] | None:
    """A stored paper with its cached card and its latest pick, in one query (a chat waits on it)."""
    values = {"arxiv_id": arxiv_id, "language": language, "model": model, "prompt_version": prompt_version}
    row = (await connection.execute(_STORED_PAPER, values)).first()
    if row is None:
        return None
    card = Card.model_validate(row.cached_card) if row.cached_card is not None else None
    placement = None
    if row.pick_day is not None:
        placement = Placement(row.pick_day, row.pick_topic, row.pick_stars, row.pick_score, row.pick_rank)
    return paper_from_row(row), card, placement


def _stored_paper_query() -> Select[Any]:
    """The paper, its card for (language, model, prompt version) and its latest pick, by id."""
    card = (
        select(summaries.c.card)
        .where(
            summaries.c.arxiv_id == papers.c.arxiv_id,
            summaries.c.language == bindparam("language"),
            summaries.c.model == bindparam("model"),
            summaries.c.prompt_version == bindparam("prompt_version"),
        )
        .scalar_subquery()
        .label("cached_card")
    )
    latest_day = (
        select(func.max(picks.c.list_day))
        .where(picks.c.arxiv_id == papers.c.arxiv_id, picks.c.selected.is_(True))
        .scalar_subquery()
    )
    pick = picks.alias("latest_pick")
    on_latest = and_(pick.c.arxiv_id == papers.c.arxiv_id, pick.c.selected.is_(True), pick.c.list_day == latest_day)
    return (
        select(
            papers,
            card,
            pick.c.list_day.label("pick_day"),
            pick.c.topic.label("pick_topic"),
            pick.c.stars.label("pick_stars"),
            pick.c.score.label("pick_score"),
            pick.c.rank.label("pick_rank"),
        )
        .select_from(papers.outerjoin(pick, on_latest))
        .where(papers.c.arxiv_id == bindparam("arxiv_id"))
    )


# Built once: making the statement costs more than running it, and a chat waits on it.
_STORED_PAPER = _stored_paper_query()


# -- what the scheduler asks of the digests ---------------------------------------------------


async def newest_digest_day(connection: AsyncConnection, *, oldest: date, before: date) -> date | None:
    """The newest list day in [oldest, before) that has a digest."""
    query = select(func.max(digests.c.list_day)).where(digests.c.list_day >= oldest, digests.c.list_day < before)
    return (await connection.execute(query)).scalar_one()


async def has_digest(connection: AsyncConnection, list_day: date) -> bool:
    query = select(func.count()).select_from(digests).where(digests.c.list_day == list_day)
    return (await connection.execute(query)).scalar_one() > 0


async def due_digest_day(connection: AsyncConnection, *, published_by: date, oldest: date) -> date | None:
    """The list day of the newest digest published in [oldest, published_by]."""
    query = select(func.max(digests.c.list_day)).where(
        digests.c.published_on <= published_by, digests.c.published_on >= oldest
    )
    return (await connection.execute(query)).scalar_one()


async def chats_with_day(connection: AsyncConnection, list_day: date) -> set[tuple[str, str]]:
    """(platform, chat id) of every chat that has a digest of `list_day` planned, in any language."""
    query = (
        select(deliveries.c.platform, deliveries.c.chat_id)
        .distinct()
        .join(digests, digests.c.id == deliveries.c.digest_id)
        .where(digests.c.list_day == list_day)
    )
    return {(row.platform, row.chat_id) for row in await connection.execute(query)}
