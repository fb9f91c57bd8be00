"""Full-text search over stored papers whose cost does not grow with the archive.

Ranking happens inside the database and only the rows shown are fetched. A common word
matches half the archive, and ranking every match is what made search slow at 100k papers,
so each phase ranks at most the newest `SEARCH_WINDOW` matches: a rare query is ranked in
full, a common one among its newest matches (a digest reader's archive is read newest-first).
Title matches come first, found by a title-only phase, so an old paper whose title holds
the words is still found. SQLite uses FTS5 with bm25 and a rowid window; PostgreSQL the GIN-
indexed `search_vector` with `ts_rank_cd`, and for titles the GIN-indexed `title_vector`, its
window being the matches among the newest papers (3000 for titles, 1000 for the full text)
when they hold enough (`_postgres_phase`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Float, Integer, Row, TextClause, text
from sqlalchemy import column as result_column
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Paper
from paperwire.bot.store.papers import paper_from_row
from paperwire.bot.store.schema import papers

# How many of the newest matches each phase ranks. PostgreSQL reads a row (and its tsvector)
# per candidate where FTS5 walks a compact doclist, so its window is smaller.
SEARCH_WINDOW = 2000
POSTGRES_WINDOW = 200
_WORD = re.compile(r"\w+", re.UNICODE)
_TSQUERY_UNSAFE = re.compile(r"[^\w]", re.UNICODE)


@dataclass(slots=True)
class SearchHit:
    paper: Paper
    rank: float
    title_match: bool


def search_terms(query: str, limit: int = 12) -> list[str]:
    """The words of a search, lower-cased, without FTS syntax."""
    return [word.lower() for word in _WORD.findall(query)][:limit]


async def search_papers(connection: AsyncConnection, query: str, limit: int = 10) -> list[SearchHit]:
    """Best matches for the words in `query`: title matches first, then full-text rank.

    Each phase is one statement that ranks inside the database and returns only the rows
    shown: at 100k papers the Python side of a search (statements, results) cost as much as
    the ranking itself, and decided how many commands a second one process answers.
    """
    terms = search_terms(query)
    if not terms:
        return []
    if connection.dialect.name == "postgresql":
        return await _search_postgres(connection, terms, limit)
    return await _search_sqlite(connection, terms, limit)


def _hits(rows: Any, title_match: bool, seen: set[str], limit: int) -> list[SearchHit]:
    hits = [
        SearchHit(paper=paper_from_row(row), rank=float(row.search_rank), title_match=title_match)
        for row in rows
        if row.arxiv_id not in seen
    ]
    return hits[:limit]


_PAPER_COLUMNS = ", ".join(f"papers.{column.name}" for column in papers.c)
# The rowid of the WINDOW-th newest match bounds the rows ranked: FTS5 walks a doclist in
# rowid order cheaply, and seeks on a rowid range. The subquery is computed once.
_SQLITE_PHASE = text(
    f"SELECT {_PAPER_COLUMNS}, ranked.rank AS search_rank FROM ("
    " SELECT rowid, bm25(papers_fts, 10.0, 1.0, 4.0) AS rank FROM papers_fts"
    " WHERE papers_fts MATCH :match AND rowid >= coalesce(("
    "  SELECT rowid FROM papers_fts WHERE papers_fts MATCH :match ORDER BY rowid DESC LIMIT 1 OFFSET :window), 0)"
    " ORDER BY rank LIMIT :limit) AS ranked"
    " JOIN papers ON papers.rowid = ranked.rowid ORDER BY ranked.rank"
).columns(*papers.c, result_column("search_rank", Float))


async def _search_sqlite(connection: AsyncConnection, terms: list[str], limit: int) -> list[SearchHit]:
    quoted = ['"' + term.replace('"', "") + '"' for term in terms]
    both = " ".join(quoted)
    found = await _sqlite_phase(connection, f"title : ({both})", limit, title_match=True)
    if len(found) < limit:
        found += await _sqlite_phase(connection, both, limit, title_match=False, skip=found)
    if not found and len(quoted) > 1:
        found = await _sqlite_phase(connection, " OR ".join(quoted), limit, title_match=False)
    return found[:limit]


async def _sqlite_phase(
    connection: AsyncConnection, match: str, limit: int, *, title_match: bool, skip: list[SearchHit] = ()
) -> list[SearchHit]:
    seen = {hit.paper.arxiv_id for hit in skip}
    rows = await connection.execute(
        _SQLITE_PHASE, {"match": match, "window": SEARCH_WINDOW - 1, "limit": limit + len(seen)}
    )
    return _hits(rows, title_match, seen, limit)


async def _search_postgres(connection: AsyncConnection, terms: list[str], limit: int) -> list[SearchHit]:
    safe = [term for term in (_TSQUERY_UNSAFE.sub("", term) for term in terms) if term]
    if not safe:
        return []
    stored = (
        await connection.execute(text("SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'papers'::regclass"))
    ).scalar_one()
    phase = partial(_postgres_phase, connection, stored=float(stored), limit=limit)
    found = await phase("title_vector", " & ".join(safe), title_match=True)
    if len(found) < limit:
        found += await phase("search_vector", " & ".join(safe), title_match=False, skip=found)
    if not found and len(safe) > 1:
        found = await phase("search_vector", " | ".join(safe), title_match=False)
    return found[:limit]


async def _postgres_phase(
    connection: AsyncConnection,
    column: str,
    query: str,
    *,
    stored: float,
    limit: int,
    title_match: bool,
    skip: list[SearchHit] = (),
) -> list[SearchHit]:
    # `column` is one of our two tsvector columns, never user input. Which matches are ranked:
    # - words likely to fill the page from the newest WALK_ROWS[column] papers (by the
    #   planner's estimate): the matches among them, walking the primary key newest first
    #   (arXiv ids grow with time), at most WINDOW of them;
    # - rarer words, or a walk that did not fill the page: the newest WINDOW matches through
    #   the GIN index.
    # The GIN index reads the row of every match (a word in 5% of titles: 4,400 rows, 24 ms
    # at 100k papers), a title walk 3000 small rows (5 ms); a full-text walk is shorter, as
    # each of its rows decompresses a ~1.7 KB tsvector (3000 rows took 20 ms).
    seen = {hit.paper.arxiv_id for hit in skip}
    walk, wanted = WALK_ROWS[column], limit + len(seen)
    params = {"query": query, "window": POSTGRES_WINDOW, "walk": walk, "limit": wanted}
    rows: list[Row[Any]] = []
    if await _estimated_matches(connection, column, query) * walk >= wanted * stored:
        rows = list(await connection.execute(_postgres_rank(column, _WALK), params))
    if not rows or rows[0].found < wanted:
        rows = list(await connection.execute(_postgres_rank(column, _MATCHES), params))
    return _hits(rows, title_match, seen, limit)


# Papers walked newest first, per column.
WALK_ROWS = {"title_vector": 3000, "search_vector": 1000}
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
    "SELECT {paper_columns}, -ts_rank_cd(papers.{column}, to_tsquery('english', :query)) AS search_rank,"
    " count(*) OVER () AS found"
    " FROM ({newest}) AS newest JOIN papers USING (arxiv_id)"
    " ORDER BY search_rank LIMIT :limit"
)


@lru_cache(maxsize=4)
def _postgres_rank(column: str, newest: str) -> TextClause:
    """The ranking statement of one phase, returning the rows shown (built once per shape)."""
    sql = _RANK.format(paper_columns=_PAPER_COLUMNS, column=column, newest=newest.format(column=column))
    return text(sql).columns(*papers.c, result_column("search_rank", Float), result_column("found", Integer))


async def _estimated_matches(connection: AsyncConnection, column: str, query: str) -> float:
    """The planner's estimate of the papers matching `query` in `column`."""
    plan = (
        await connection.execute(
            text(f"EXPLAIN (FORMAT JSON) SELECT arxiv_id FROM papers WHERE {column} @@ to_tsquery('english', :query)"),
            {"query": query},
        )
    ).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])
