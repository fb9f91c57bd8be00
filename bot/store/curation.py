"""Curated days: picks with scores and topics, exclusions with reasons. Written once per day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Curation, Exclusion, Pick
from paperwire.bot.store.papers import dialect_insert, get_papers
from paperwire.bot.store.schema import curated_days, exclusions, list_entries, papers, picks


async def save_curation(
    connection: AsyncConnection,
    curation: Curation,
    *,
    taxonomy_fingerprint: str,
    max_papers: int,
    judge: dict[str, Any] | None = None,
) -> bool:
    """Store a day's curation unless one exists; True when this call wrote it.

    The primary key on the list day makes a second, concurrent build a no-op. `judge` is
    the LLM judge's record (its verdicts with reasons, and its spend) when one was asked.
    """
    insert = dialect_insert(connection, curated_days).on_conflict_do_nothing(index_elements=["list_day"])
    result = await connection.execute(
        insert,
        {
            "list_day": curation.list_day,
            "taxonomy_fingerprint": taxonomy_fingerprint,
            "max_papers": max_papers,
            "created_at": datetime.now(UTC),
            "judge": judge,
        },
    )
    if result.rowcount == 0:
        return False
    ranked = [(pick, True) for pick in curation.picks] + [(pick, False) for pick in curation.candidates]
    if ranked:
        await connection.execute(
            picks.insert(),
            [
                {
                    "list_day": curation.list_day,
                    "arxiv_id": pick.paper.arxiv_id,
                    "selected": selected,
                    "rank": pick.rank,
                    "topic": pick.topic,
                    "score": pick.score,
                    "stars": pick.stars,
                }
                for pick, selected in ranked
            ],
        )
    if curation.exclusions:
        await connection.execute(
            exclusions.insert(),
            [
                {
                    "list_day": curation.list_day,
                    "arxiv_id": exclusion.paper.arxiv_id,
                    "position": position,
                    "kind": exclusion.kind,
                    "reason": dict(exclusion.reason),
                    "score": exclusion.score,
                    "topic": exclusion.topic,
                    "family": exclusion.family,
                }
                for position, exclusion in enumerate(curation.exclusions)
            ],
        )
    return True


async def load_curation(connection: AsyncConnection, list_day: date) -> Curation | None:
    """The stored curation of a day, papers included, or None if it was never curated."""
    exists = (await connection.execute(select(curated_days.c.list_day).where(curated_days.c.list_day == list_day))).first()
    if exists is None:
        return None
    pick_rows = (
        await connection.execute(select(picks).where(picks.c.list_day == list_day).order_by(picks.c.rank))
    ).all()
    exclusion_rows = (
        await connection.execute(
            select(exclusions).where(exclusions.c.list_day == list_day).order_by(exclusions.c.position)
        )
    ).all()
    ids = [row.arxiv_id for row in pick_rows] + [row.arxiv_id for row in exclusion_rows]
    found = await get_papers(connection, ids)
    day_upvotes = dict(
        (
            await connection.execute(
                select(list_entries.c.arxiv_id, list_entries.c.upvotes).where(list_entries.c.list_day == list_day)
            )
        ).all()
    )
    for paper in found.values():
        paper.list_day = list_day
        paper.upvotes = day_upvotes.get(paper.arxiv_id, paper.upvotes)
    chosen, candidates = [], []
    for row in pick_rows:
        pick = Pick(paper=found[row.arxiv_id], topic=row.topic, score=row.score, stars=row.stars, rank=row.rank)
        (chosen if row.selected else candidates).append(pick)
    excluded = [
        Exclusion(
            paper=found[row.arxiv_id],
            kind=row.kind,
            reason=dict(row.reason),
            score=row.score,
            topic=row.topic,
            family=row.family,
        )
        for row in exclusion_rows
    ]
    return Curation(list_day=list_day, picks=chosen, exclusions=excluded, candidates=candidates)


async def judge_record(connection: AsyncConnection, list_day: date) -> dict[str, Any] | None:
    """The judge's verdicts and spend kept with a curated day, or None when no judge was asked."""
    row = (await connection.execute(select(curated_days.c.judge).where(curated_days.c.list_day == list_day))).first()
    return dict(row.judge) if row is not None and row.judge else None


async def picked_before(connection: AsyncConnection, list_day: date) -> set[str]:
    """Ids picked by the curation of any earlier list day."""
    rows = await connection.execute(
        select(picks.c.arxiv_id).where(and_(picks.c.list_day < list_day, picks.c.selected.is_(True)))
    )
    return set(rows.scalars())


async def curated_list_days(connection: AsyncConnection) -> list[date]:
    rows = await connection.execute(select(curated_days.c.list_day).order_by(curated_days.c.list_day))
    return list(rows.scalars())


async def topic_counts_by_day(connection: AsyncConnection, start: date, end: date) -> dict[date, dict[str, int]]:
    """Per list day in [start, end], how many listed papers fall under each primary topic.

    Every list day in the range appears, even one where no paper matched a topic.
    """
    result: dict[date, dict[str, int]] = {}
    days = await connection.execute(
        select(list_entries.c.list_day).where(list_entries.c.list_day.between(start, end)).distinct()
    )
    for day in days.scalars():
        result[day] = {}
    rows = await connection.execute(
        select(list_entries.c.list_day, papers.c.primary_topic, func.count())
        .join(papers, papers.c.arxiv_id == list_entries.c.arxiv_id)
        .where(list_entries.c.list_day.between(start, end), papers.c.primary_topic.is_not(None))
        .group_by(list_entries.c.list_day, papers.c.primary_topic)
    )
    for day, topic, count in rows:
        result.setdefault(day, {})[topic] = int(count)
    return result


async def pick_counts_by_day(connection: AsyncConnection, start: date, end: date) -> dict[date, dict[str, int]]:
    """Per curated day in [start, end], how many picks each topic got (every curated day appears)."""
    result: dict[date, dict[str, int]] = {}
    days = await connection.execute(select(curated_days.c.list_day).where(curated_days.c.list_day.between(start, end)))
    for day in days.scalars():
        result[day] = {}
    rows = await connection.execute(
        select(picks.c.list_day, picks.c.topic, func.count())
        .where(picks.c.list_day.between(start, end), picks.c.selected.is_(True))
        .group_by(picks.c.list_day, picks.c.topic)
    )
    for day, topic, count in rows:
        result.setdefault(day, {})[topic] = int(count)
    return result


async def recent_picks(
    connection: AsyncConnection, *, topic: str | None, since: date, limit: int = 50
) -> list[tuple[date, Pick]]:
    """Picks of curated days since `since`, newest first, optionally of one topic."""
    query = (
        select(picks)
        .where(picks.c.list_day >= since, picks.c.selected.is_(True))
        .order_by(picks.c.list_day.desc(), picks.c.rank)
        .limit(limit)
    )
    if topic is not None:
        query = query.where(picks.c.topic == topic)
    rows = (await connection.execute(query)).all()
    found = await get_papers(connection, [row.arxiv_id for row in rows])
    return [
        (row.list_day, Pick(paper=found[row.arxiv_id], topic=row.topic, score=row.score, stars=row.stars, rank=row.rank))
        for row in rows
    ]
