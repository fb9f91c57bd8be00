"""Papers and the Daily Papers lists they appeared on: upserts, lookups, full-text search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Row, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import DayPapers, Paper
from paperwire.bot.store.schema import list_days, list_entries, papers


@dataclass(slots=True)
class UpsertCounts:
    """New papers, known papers whose stored content changed, and known papers left as they were."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertCounts) -> UpsertCounts:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


# What "changed" means for an upsert: every stored column but the bookkeeping times.
_CONTENT_COLUMNS = [column for column in papers.c if column.name not in {"created_at", "updated_at"}]


async def _contents(connection: AsyncConnection, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    if not ids:
        return {}
    rows = await connection.execute(select(*_CONTENT_COLUMNS).where(papers.c.arxiv_id.in_(ids)))
    return {row.arxiv_id: tuple(row) for row in rows}


def dialect_insert(connection: AsyncConnection, table: Any) -> Any:
    """An INSERT that supports ON CONFLICT on both SQLite and PostgreSQL."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def _paper_row(paper: Paper, now: datetime) -> dict[str, Any]:
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "published_at": paper.published_at,
        "first_list_day": paper.list_day,
        "upvotes": paper.upvotes,
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords),
        "keywords_text": " ".join(paper.ai_keywords),
        "github_repo": paper.github_repo,
        "project_page": paper.project_page,
        "github_stars": paper.github_stars,
        "organization": paper.organization,
        "thumbnail_url": paper.thumbnail_url,
        "topics": list(paper.topics),
        "primary_topic": paper.topics[0] if paper.topics else None,
        "taxonomy_fingerprint": None,
        "created_at": now,
        "updated_at": now,
    }


def paper_from_row(row: Row[Any] | Any, list_day: date | None = None) -> Paper:
    """A domain Paper from a `papers` row (any select that includes its columns)."""
    mapping = row._mapping
    published_at = mapping["published_at"]
    if published_at is not None and published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    return Paper(
        arxiv_id=mapping["arxiv_id"],
        title=mapping["title"],
        abstract=mapping["abstract"],
        authors=list(mapping["authors"] or []),
        published_at=published_at,
        list_day=list_day or mapping["first_list_day"],
        upvotes=mapping["upvotes"],
        ai_summary=mapping["ai_summary"],
        ai_keywords=list(mapping["ai_keywords"] or []),
        github_repo=mapping["github_repo"],
        project_page=mapping["project_page"],
        github_stars=mapping["github_stars"],
        organization=mapping["organization"],
        thumbnail_url=mapping.get("thumbnail_url"),
        version=mapping["version"],
        topics=list(mapping["topics"] or []),
    )


async def upsert_papers(
    connection: AsyncConnection,
    items: Sequence[Paper],
    *,
    taxonomy_fingerprint: str | None = None,
    now: datetime | None = None,
) -> UpsertCounts:
    """Insert new papers and update known ones by arXiv id; an older version never wins."""
    if not items:
        return UpsertCounts()
    now = now or datetime.now(UTC)
    unique: dict[str, Paper] = {}
    for paper in items:
        unique.setdefault(paper.arxiv_id, paper)
    ids = list(unique)
    before = await _contents(connection, ids)
    existing = set(before)
    rows = []
    for paper in unique.values():
        row = _paper_row(paper, now)
        row["taxonomy_fingerprint"] = taxonomy_fingerprint
        rows.append(row)
    insert = dialect_insert(connection, papers)
    new = insert.excluded
    newer_or_same = (new.version.is_(None)) | (papers.c.version.is_(None)) | (new.version >= papers.c.version)
    statement = insert.on_conflict_do_update(
        index_elements=[papers.c.arxiv_id],
        set_={
            "version": case((newer_or_same, func.coalesce(new.version, papers.c.version)), else_=papers.c.version),
            "title": case((newer_or_same, new.title), else_=papers.c.title),
            "abstract": case(
                (newer_or_same & (new.abstract != ""), new.abstract), else_=papers.c.abstract
            ),
            "authors": case((newer_or_same, new.authors), else_=papers.c.authors),
            "published_at": func.coalesce(papers.c.published_at, new.published_at),
            "first_list_day": func.coalesce(papers.c.first_list_day, new.first_list_day),
            "upvotes": func.max(new.upvotes, papers.c.upvotes)
            if connection.dialect.name == "sqlite"
            else func.greatest(new.upvotes, papers.c.upvotes),
            "ai_summary": func.coalesce(new.ai_summary, papers.c.ai_summary),
            "ai_keywords": case((new.keywords_text != "", new.ai_keywords), else_=papers.c.ai_keywords),
            "keywords_text": case((new.keywords_text != "", new.keywords_text), else_=papers.c.keywords_text),
            "github_repo": func.coalesce(new.github_repo, papers.c.github_repo),
            "project_page": func.coalesce(new.project_page, papers.c.project_page),
            "github_stars": func.coalesce(new.github_stars, papers.c.github_stars),
            "organization": func.coalesce(new.organization, papers.c.organization),
            "thumbnail_url": func.coalesce(new.thumbnail_url, papers.c.thumbnail_url),
            "topics": new.topics,
            "primary_topic": new.primary_topic,
            "taxonomy_fingerprint": new.taxonomy_fingerprint,
            "updated_at": new.updated_at,
        },
    )
    await connection.execute(statement, rows)
    after = await _contents(connection, list(existing))
    updated = sum(1 for arxiv_id in existing if after.get(arxiv_id) != before[arxiv_id])
    return UpsertCounts(inserted=len(ids) - len(existing), updated=updated, unchanged=len(existing) - updated)


async def record_list_day(connection: AsyncConnection, day: DayPapers, source: str) -> None:
    """Remember which papers were on a day's list, in order; re-recording replaces the list."""
    now = datetime.now(UTC)
    insert = dialect_insert(connection, list_days)
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=[list_days.c.list_day],
            set_={
                "paper_count": insert.excluded.paper_count,
                "skipped_count": insert.excluded.skipped_count,
                "source": insert.excluded.source,
                "fetched_at": insert.excluded.fetched_at,
            },
        ),
        {
            "list_day": day.list_day,
            "paper_count": len(day.papers),
            "skipped_count": len(day.skipped),
            "source": source[:200],
            "fetched_at": now,
        },
    )
    if not day.papers:
        return
    entries = [
        {"list_day": day.list_day, "arxiv_id": paper.arxiv_id, "position": position, "upvotes": paper.upvotes}
        for position, paper in enumerate(_unique(day.papers))
    ]
    insert = dialect_insert(connection, list_entries)
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=[list_entries.c.list_day, list_entries.c.arxiv_id],
            set_={"position": insert.excluded.position, "upvotes": insert.excluded.upvotes},
        ),
        entries,
    )


def _unique(items: Iterable[Paper]) -> list[Paper]:
    seen: dict[str, Paper] = {}
    for paper in items:
        seen.setdefault(paper.arxiv_id, paper)
    return list(seen.values())


async def get_paper(connection: AsyncConnection, arxiv_id: str) -> Paper | None:
    row = (await connection.execute(select(papers).where(papers.c.arxiv_id == arxiv_id))).first()
    return paper_from_row(row) if row else None


async def get_papers(connection: AsyncConnection, ids: Sequence[str]) -> dict[str, Paper]:
    if not ids:
        return {}
    rows = await connection.execute(select(papers).where(papers.c.arxiv_id.in_(list(ids))))
    return {row.arxiv_id: paper_from_row(row) for row in rows}


async def papers_for_day(connection: AsyncConnection, list_day: date) -> list[Paper]:
    """The papers of one list day, in list order, with that day's upvotes."""
    rows = await connection.execute(
        select(papers, list_entries.c.upvotes.label("day_upvotes"))
        .join(list_entries, list_entries.c.arxiv_id == papers.c.arxiv_id)
        .where(list_entries.c.list_day == list_day)
        .order_by(list_entries.c.position)
    )
    result = []
    for row in rows:
        paper = paper_from_row(row, list_day=list_day)
        paper.upvotes = row.day_upvotes
        result.append(paper)
    return result


async def known_list_days(connection: AsyncConnection, *, with_papers: bool = True) -> list[date]:
    query = select(list_days.c.list_day).order_by(list_days.c.list_day)
    if with_papers:
        query = query.where(list_days.c.paper_count > 0)
    return list((await connection.execute(query)).scalars())


async def list_day_counts(connection: AsyncConnection, *, oldest: date, before: date) -> dict[date, int]:
    """Paper count of every list day stored in [oldest, before) (0 for a day stored empty)."""
    rows = await connection.execute(
        select(list_days.c.list_day, list_days.c.paper_count).where(
            list_days.c.list_day >= oldest, list_days.c.list_day < before
        )
    )
    return {row.list_day: int(row.paper_count) for row in rows}


async def count_papers(connection: AsyncConnection) -> int:
    return int((await connection.execute(select(func.count()).select_from(papers))).scalar_one())


async def find_by_title(connection: AsyncConnection, title: str) -> Paper | None:
    """A stored paper whose title equals `title`, ignoring case."""
    row = (
        await connection.execute(select(papers).where(func.lower(papers.c.title) == title.strip().lower()).limit(1))
    ).first()
    return paper_from_row(row) if row else None


async def set_topics(connection: AsyncConnection, assignments: dict[str, list[str]], fingerprint: str) -> None:
    """Store re-classified topics (after the taxonomy changed)."""
    if not assignments:
        return
    statement = (
        papers.update()
        .where(papers.c.arxiv_id == bindparam("pid"))
        .values(
            topics=bindparam("new_topics", type_=JSON),
            primary_topic=bindparam("primary"),
            taxonomy_fingerprint=fingerprint,
        )
    )
    await connection.execute(
        statement,
        [
            {"pid": pid, "new_topics": topics, "primary": topics[0] if topics else None}
            for pid, topics in assignments.items()
        ],
    )


async def papers_needing_topics(
    connection: AsyncConnection, fingerprint: str, limit: int = 2000
) -> list[Paper]:
    """Papers classified with another taxonomy (or never), a batch at a time."""
    rows = await connection.execute(
        select(papers)
        .where((papers.c.taxonomy_fingerprint.is_(None)) | (papers.c.taxonomy_fingerprint != fingerprint))
        .limit(limit)
    )
    return [paper_from_row(row) for row in rows]


async def listed_in_topic(
    connection: AsyncConnection, topic: str, start: date, end: date, *, limit: int
) -> list[tuple[date, Paper]]:
    """Papers whose main topic is `topic`, listed between `start` and `end`, most upvoted first.

    A paper listed on several days comes once per day; the caller keeps the first.
    """
    values = {"topic": topic, "start": start, "end": end, "limit": limit}
    rows = await connection.execute(_LISTED_IN_TOPIC, values)
    result = []
    for row in rows:
        paper = paper_from_row(row, list_day=row.entry_day)
        paper.upvotes = row.day_upvotes
        result.append((row.entry_day, paper))
    return result


# Built once: making the statement costs more than running it.
_LISTED_IN_TOPIC = (
    select(papers, list_entries.c.list_day.label("entry_day"), list_entries.c.upvotes.label("day_upvotes"))
    .join(list_entries, list_entries.c.arxiv_id == papers.c.arxiv_id)
    .where(
        papers.c.primary_topic == bindparam("topic"),
        list_entries.c.list_day.between(bindparam("start"), bindparam("end")),
    )
    .order_by(list_entries.c.upvotes.desc(), list_entries.c.list_day.desc())
    .limit(bindparam("limit"))
)
