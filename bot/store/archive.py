"""Read-only queries behind the web archive and the Atom feeds.

Nothing here writes: a page or a feed shows what the digests stored, never builds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Card, Pick
from paperwire.bot.store.papers import get_papers
from paperwire.bot.store.schema import digests, papers, picks, summaries


@dataclass(slots=True)
class ArchivedDay:
    """A list day with a stored global digest: when it was published and generated."""

    list_day: date
    published_on: date
    generated_at: datetime
    languages: tuple[str, ...]


@dataclass(slots=True)
class PickTitle:
    arxiv_id: str
    title: str
    stars: int


@dataclass(slots=True)
class ArchivedPick:
    """One picked paper of an archived day, for the papers feed."""

    day: ArchivedDay
    pick: Pick


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def archived_days(connection: AsyncConnection, *, limit: int | None = None) -> list[ArchivedDay]:
    """List days that have a global digest in any language, newest first."""
    rows = (
        await connection.execute(
            select(digests.c.list_day, digests.c.language, digests.c.published_on, digests.c.generated_at)
            .where(digests.c.topics_key == "")
            .order_by(digests.c.list_day.desc(), digests.c.generated_at)
        )
    ).all()
    by_day: dict[date, ArchivedDay] = {}
    for row in rows:
        day = by_day.get(row.list_day)
        if day is None:
            if limit is not None and len(by_day) >= limit:
                break
            by_day[row.list_day] = ArchivedDay(
                row.list_day, row.published_on, _aware(row.generated_at), (row.language,)
            )
        elif row.language not in day.languages:
            day.languages = (*day.languages, row.language)
    return list(by_day.values())


async def archived_day(connection: AsyncConnection, list_day: date) -> ArchivedDay | None:
    rows = (
        await connection.execute(
            select(digests.c.language, digests.c.published_on, digests.c.generated_at)
            .where(digests.c.list_day == list_day, digests.c.topics_key == "")
            .order_by(digests.c.generated_at)
        )
    ).all()
    if not rows:
        return None
    first = rows[0]
    return ArchivedDay(list_day, first.published_on, _aware(first.generated_at), tuple(row.language for row in rows))


async def pick_titles(connection: AsyncConnection, days: list[date]) -> dict[date, list[PickTitle]]:
    """The picked papers' titles of some list days, in rank order, for the archive index."""
    if not days:
        return {}
    rows = await connection.execute(
        select(picks.c.list_day, picks.c.arxiv_id, picks.c.stars, papers.c.title)
        .join(papers, papers.c.arxiv_id == picks.c.arxiv_id)
        .where(picks.c.list_day.in_(days), picks.c.selected.is_(True))
        .order_by(picks.c.list_day, picks.c.rank)
    )
    result: dict[date, list[PickTitle]] = {day: [] for day in days}
    for row in rows:
        result[row.list_day].append(PickTitle(row.arxiv_id, row.title, row.stars))
    return result


async def archived_picks(
    connection: AsyncConnection, *, topic: str | None = None, limit: int = 50
) -> list[ArchivedPick]:
    """The newest picks of days with a global digest, each paper once (its first day wins)."""
    query = (
        select(picks, digests.c.published_on, digests.c.generated_at)
        .join(digests, and_(digests.c.list_day == picks.c.list_day, digests.c.topics_key == ""))
        .where(picks.c.selected.is_(True))
        .order_by(picks.c.list_day.desc(), picks.c.rank, digests.c.generated_at)
    )
    if topic is not None:
        query = query.where(picks.c.topic == topic)
    seen: dict[str, Any] = {}
    # A paper is picked on one day only ("not picked again"), but a day has one digest row
    # per language: keep the first row of each paper, newest day first.
    for row in (await connection.execute(query.limit(limit * 4))).all():
        if row.arxiv_id not in seen:
            seen[row.arxiv_id] = row
        if len(seen) >= limit:
            break
    found = await get_papers(connection, list(seen))
    result = []
    for row in seen.values():
        paper = found.get(row.arxiv_id)
        if paper is None:
            continue
        paper.list_day = row.list_day
        day = ArchivedDay(row.list_day, row.published_on, _aware(row.generated_at), ())
        pick = Pick(paper=paper, topic=row.topic, score=row.score, stars=row.stars, rank=row.rank)
        result.append(ArchivedPick(day=day, pick=pick))
    return result


async def stored_cards(
    connection: AsyncConnection, arxiv_ids: list[str], language: str, preferred: tuple[str, str]
) -> dict[str, Card]:
    """The stored card of each paper in one language: the preferred (model, prompt version)
    when there is one, else a model-written card, else any card stored for it."""
    if not arxiv_ids:
        return {}
    rows = await connection.execute(
        select(summaries.c.arxiv_id, summaries.c.model, summaries.c.prompt_version, summaries.c.card).where(
            summaries.c.arxiv_id.in_(arxiv_ids), summaries.c.language == language
        )
    )
    best: dict[str, tuple[int, Card]] = {}
    for row in rows:
        card = Card.model_validate(row.card)
        rank = 0 if (row.model, row.prompt_version) == preferred else (1 if card.method == "llm" else 2)
        if row.arxiv_id not in best or rank < best[row.arxiv_id][0]:
            best[row.arxiv_id] = (rank, card)
    return {arxiv_id: card for arxiv_id, (_, card) in best.items()}
