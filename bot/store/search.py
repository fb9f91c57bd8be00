"""Full-text search over stored papers whose cost does not grow with the archive.

Ranking happens inside the database and only the rows shown are fetched. A common word
matches half the archive, and ranking every match is what made search slow at 100k papers,
so each phase ranks at most the newest `SEARCH_WINDOW` matches: a rare query is ranked in
full, a common one among its newest matches (a digest reader's archive is read newest-first).
Title matches come first, found by a title-only phase, so an old paper whose title holds
the words is still found. SQLite uses FTS5 with bm25 and a rowid window; PostgreSQL the GIN-
indexed `search_vector` with `ts_rank_cd`, and for titles the GIN-indexed `title_vector`, its
window being the matches among the newest 3000 papers when they hold enough (`_postgres_phase`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Paper
from paperwire.bot.store.papers import paper_from_row
from paperwire.bot.store.schema import papers

# How many of the newest matches each phase ranks. PostgreSQL reads a row (and its tsvector)
# per candidate where FTS5 walks a compact doclist, so its window is smaller.
SEARCH_WINDOW = 2000
POSTGRES_WINDOW = 500
_WORD = re.compile(r"\w+", re.UNICODE)
_TSQUERY_UNSAFE = re.compile(r"[^\w]", re.UNICODE)


@dataclass(slots=True)
class SearchHit:
    paper: Paper
    rank: float
    title_match: bool


@dataclass(slots=True)
class _Ranked:
    key: str | int  # arxiv id (PostgreSQL) or rowid (SQLite)
    rank: float  # lower is better
    title_match: bool


def search_terms(query: str, limit: int = 12) -> list[str]:
    """The words of a search, lower-cased, without FTS syntax."""
    return [word.lower() for word in _WORD.findall(query)][:limit]


async def search_papers(connection: AsyncConnection, query: str, limit: int = 10) -> list[SearchHit]:
    """Best matches for the words in `query`: title matches first, then full-text rank."""
    terms = search_terms(query)
    if not terms:
        return []
    if connection.dialect.name == "postgresql":
        ranked = await _rank_postgres(connection, terms, limit)
        rows = await connection.execute(select(papers).where(papers.c.arxiv_id.in_([r.key for r in ranked])))
        by_key: dict[str | int, Row[Any]] = {row.arxiv_id: row for row in rows}
    else:
        ranked = await _rank_sqlite(connection, terms, limit)
        by_key = await _sqlite_rows(connection, [int(r.key) for r in ranked])
    return [
        SearchHit(paper=paper_from_row(by_key[r.key]), rank=r.rank, title_match=r.title_match)
        for r in ranked
        if r.key in by_key
    ]


async def _sqlite_rows(connection: AsyncConnection, rowids: list[int]) -> dict[str | int, Row[Any]]:
    if not rowids:
        return {}
    marks = ", ".join(str(rowid) for rowid in rowids)  # integers we produced: safe to inline
    rows = await connection.execute(
        select(papers, text("papers.rowid AS search_rowid")).where(text(f"papers.rowid IN ({marks})"))
    )
    return {row.search_rowid: row for row in rows}


async def _rank_sqlite(connection: AsyncConnection, terms: list[str], limit: int) -> list[_Ranked]:
    quoted = ['"' + term.replace('"', "") + '"' for term in terms]
    both = " ".join(quoted)
    found = await _sqlite_phase(connection, f"title : ({both})", limit, title_match=True)
    if len(found) < limit:
        found += await _sqlite_phase(connection, both, limit, title_match=False, skip=found)
    if not found and len(quoted) > 1:
        found = await _sqlite_phase(connection, " OR ".join(quoted), limit, title_match=False)
    return found[:limit]


async def _sqlite_phase(
    connection: AsyncConnection, match: str, limit: int, *, title_match: bool, skip: list[_Ranked] = ()
) -> list[_Ranked]:
    # The rowid of the WINDOW-th newest match: ranking only rows at or above it bounds the
    # work; FTS5 walks a doclist in rowid order cheaply, and seeks on a rowid range.
    cutoff = (
        await connection.execute(
            text(
                "SELECT rowid FROM papers_fts WHERE papers_fts MATCH :match "
                "ORDER BY rowid DESC LIMIT 1 OFFSET :window"
            ),
            {"match": match, "window": SEARCH_WINDOW - 1},
        )
    ).scalar()
    seen = {r.key for r in skip}
    rows = await connection.execute(
        text(
            "SELECT rowid, bm25(papers_fts, 10.0, 1.0, 4.0) AS rank FROM papers_fts "
            "WHERE papers_fts MATCH :match AND rowid >= :cutoff ORDER BY rank LIMIT :limit"
        ),
        {"match": match, "cutoff": cutoff or 0, "limit": limit + len(seen)},
    )
    return [_Ranked(row.rowid, float(row.rank), title_match) for row in rows if row.rowid not in seen][:limit]


async def _rank_postgres(connection: AsyncConnection, terms: list[str], limit: int) -> list[_Ranked]:
    safe = [term for term in (_TSQUERY_UNSAFE.sub("", term) for term in terms) if term]
    if not safe:
        return []
    found = await _postgres_phase(connection, "title_vector", " & ".join(safe), limit, title_match=True)
    if len(found) < limit:
        found += await _postgres_phase(connection, "search_vector", " & ".join(safe), limit, title_match=False, skip=found)
    if not found and len(safe) > 1:
        found = await _postgres_phase(connection, "search_vector", " | ".join(safe), limit, title_match=False)
    return found[:limit]


async def _postgres_phase(
    connection: AsyncConnection, column: str, query: str, limit: int, *, title_match: bool, skip: list[_Ranked] = ()
) -> list[_Ranked]:
    # `column` is one of our two tsvector columns, never user input. Only (id, rank) pairs
    # leave the database. Which matches are ranked:
    # - words in enough papers: the matches among the newest WALK_ROWS papers (walking the
    #   primary key newest first, arXiv ids grow with time), at most WINDOW of them;
    # - rare words, or fewer than WALK_MIN matches on that walk: the newest WINDOW matches
    #   through the GIN index.
    # PostgreSQL's planner alone walks the whole table for words in 2% of papers (20k rows,
    # 90 ms at 100k papers); the GIN index alone reads every match of a common word (70 ms).
    seen = {r.key for r in skip}
    params = {"query": query, "window": POSTGRES_WINDOW, "walk": WALK_ROWS, "limit": limit + len(seen)}
    rows: list[Row[Any]] = []
    if await _worth_walking(connection, column, query):
        rows = list(await connection.execute(text(_RANK.format(column=column, newest=_WALK.format(column=column))), params))
    if not rows or rows[0].found < WALK_MIN:
        rows = list(await connection.execute(text(_RANK.format(column=column, newest=_MATCHES.format(column=column))), params))
    return [_Ranked(row.arxiv_id, float(row.rank), title_match) for row in rows if row.arxiv_id not in seen][:limit]


# Papers walked newest first, and the matches among them below which the walk is not enough.
WALK_ROWS = 3000
WALK_MIN = 100
_WALK = (
    "SELECT arxiv_id FROM (SELECT arxiv_id, {column} FROM papers ORDER BY arxiv_id DESC LIMIT :walk) AS recent"
    " WHERE {column} @@ to_tsquery('english', :query) ORDER BY arxiv_id DESC LIMIT :window"
)
# `arxiv_id || ''` keeps the planner off the primary key: the GIN index finds the matches.
_MATCHES = (
    "SELECT arxiv_id FROM papers WHERE {column} @@ to_tsquery('english', :query)"
    " ORDER BY arxiv_id || '' DESC LIMIT :window"
)
_RANK = (
    "SELECT p.arxiv_id, -ts_rank_cd(p.{column}, to_tsquery('english', :query)) AS rank, count(*) OVER () AS found"
    " FROM ({newest}) AS newest JOIN papers AS p USING (arxiv_id)"
    " ORDER BY rank LIMIT :limit"
)


async def _worth_walking(connection: AsyncConnection, column: str, query: str) -> bool:
    """Whether the newest WALK_ROWS papers likely hold WALK_MIN matches, by the planner's
    estimate of all matches (rare words skip the walk)."""
    plan = (
        await connection.execute(
            text(f"EXPLAIN (FORMAT JSON) SELECT arxiv_id FROM papers WHERE {column} @@ to_tsquery('english', :query)"),
            {"query": query},
        )
    ).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    matches = float(plan[0]["Plan"]["Plan Rows"])
    papers_count = (
        await connection.execute(text("SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'papers'::regclass"))
    ).scalar_one()
    return matches * WALK_ROWS >= WALK_MIN * float(papers_count)
