"""Stored paper vectors (bot/similar): written at ingestion, read by the similarity index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from paperwire.bot.models import Paper
from paperwire.bot.store.papers import dialect_insert, paper_from_row
from paperwire.bot.store.schema import paper_vectors, papers


@dataclass(slots=True)
class StoredVectors:
    ids: list[str]
    matrix: np.ndarray  # float32, one unit row per id
    newest: datetime | None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def store_vectors(
    connection: AsyncConnection, ids: Sequence[str], matrix: np.ndarray, *, model: str, now: datetime | None = None
) -> None:
    """Insert or replace the vectors of some papers (rows of `matrix`, in `ids` order)."""
    if not len(ids):
        return
    moment = now or datetime.now(UTC)
    rows = [
        {"arxiv_id": arxiv_id, "model": model, "vector": row.astype(np.float16).tobytes(), "updated_at": moment}
        for arxiv_id, row in zip(ids, matrix, strict=True)
    ]
    insert = dialect_insert(connection, paper_vectors)
    await connection.execute(
        insert.on_conflict_do_update(
            index_elements=["arxiv_id"],
            set_={"model": insert.excluded.model, "vector": insert.excluded.vector, "updated_at": insert.excluded.updated_at},
        ),
        rows,
    )


async def vectors_since(
    connection: AsyncConnection, since: datetime | None, *, model: str, dimensions: int
) -> StoredVectors:
    """Vectors of `model` written after `since` (all when None)."""
    query = select(paper_vectors.c.arxiv_id, paper_vectors.c.vector, paper_vectors.c.updated_at).where(
        paper_vectors.c.model == model
    )
    if since is not None:
        query = query.where(paper_vectors.c.updated_at > since)
    ids: list[str] = []
    chunks: list[bytes] = []
    newest = since
    for row in await connection.execute(query):
        ids.append(row.arxiv_id)
        chunks.append(row.vector)
        moment = _aware(row.updated_at)
        newest = moment if newest is None or moment > newest else newest
    matrix = np.frombuffer(b"".join(chunks), dtype=np.float16).reshape(len(ids), dimensions).astype(np.float32)
    return StoredVectors(ids, matrix, newest)


async def papers_without_vectors(connection: AsyncConnection, *, model: str, limit: int) -> list[Paper]:
    """Stored papers that have no vector of `model` yet (an archive from before vectors)."""
    query = (
        select(papers)
        .outerjoin(paper_vectors, paper_vectors.c.arxiv_id == papers.c.arxiv_id)
        .where((paper_vectors.c.arxiv_id.is_(None)) | (paper_vectors.c.model != model))
        .limit(limit)
    )
    return [paper_from_row(row) for row in await connection.execute(query)]
