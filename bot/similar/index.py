"""The archive's vectors in memory, for `related` and the similarity half of `search`.

Vectors are computed once, when a paper is stored, and kept in the database; the index
loads them on first use and then only what changed since (every `refresh_seconds` at most),
so a query costs no database scan. Below 20k papers it is one matrix product over the
archive; above, the vectors are grouped into k-means cells (`Cells`, fitted in a thread in
the background) and a query scores only the nearest cells and the papers stored since the
last fit. Papers stored before vectors existed are filled in on first load.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
from threadpoolctl import threadpool_limits

from paperwire.bot.models import Paper
from paperwire.bot.similar.cells import CELLS_FROM, Cells
from paperwire.bot.similar.lsa import DIMENSIONS, TextModel
from paperwire.bot.store import vectors as vector_store
from paperwire.bot.store.database import Database

log = logging.getLogger(__name__)

BACKFILL_BATCH = 2000
# Refit the cells once this share of the vectors came after the last fit (they are scanned in full).
REFIT_SHARE = 0.2


class SimilarityIndex:
    """Nearest papers by cosine similarity of their text vectors."""

    def __init__(
        self,
        db: Database,
        model: TextModel,
        *,
        refresh_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        cells_from: int = CELLS_FROM,
    ) -> None:
        self.db = db
        self.model = model
        # One BLAS thread: a matrix-vector product over 100k rows takes under a millisecond,
        # and OpenBLAS's worker threads contend with the database threads for the cores
        # (6 ms per query on two busy cores, 0.1 ms with one thread).
        threadpool_limits(1, user_api="blas")
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._newest: datetime | None = None
        self._checked_at: float | None = None
        self._lock = asyncio.Lock()
        self.cells_from = cells_from
        self._cells: Cells | None = None
        self._fitting: asyncio.Task[None] | None = None

    def vectors_of(self, papers: Sequence[Paper]) -> np.ndarray:
        return self.model.embed_papers(list(papers))

    async def store(self, papers: Sequence[Paper]) -> None:
        """Compute and store the vectors of papers just stored (called at ingestion)."""
        if not papers:
            return
        matrix = self.vectors_of(papers)
        async with self.db.begin() as connection:
            await vector_store.store_vectors(connection, [p.arxiv_id for p in papers], matrix, model=self.model.version)

    async def related(self, arxiv_id: str, count: int = 5) -> list[tuple[str, float]] | None:
        """The `count` nearest papers to a stored one, best first; None if it has no vector."""
        await self._refresh()
        position = self._position.get(arxiv_id)
        if position is None:
            return None
        return self._nearest(self._matrix[position], count, exclude={arxiv_id})

    async def nearest_to_paper(self, paper: Paper, count: int = 5) -> list[tuple[str, float]]:
        await self._refresh()
        return self._nearest(self.vectors_of([paper])[0], count, exclude={paper.arxiv_id})

    async def query(self, text: str, count: int) -> list[tuple[str, float]]:
        """Papers nearest to free text (a search), best first."""
        await self._refresh()
        vector = self.model.embed([text])[0]
        if not vector.any():
            return []
        return self._nearest(vector, count)

    def _nearest(self, vector: np.ndarray, count: int, exclude: set[str] = frozenset()) -> list[tuple[str, float]]:
        if not len(self._ids) or count <= 0:
            return []
        if self._cells is None:
            rows, scores = np.arange(len(self._ids)), self._matrix @ vector
        else:
            rows, scores = self._cells.scores(self._matrix, vector)
            fitted = self._cells.size
            if fitted < len(self._ids):  # stored since the fit: not in a cell yet
                rows = np.concatenate([rows, np.arange(fitted, len(self._ids))])
                scores = np.concatenate([scores, self._matrix[fitted:] @ vector])
        wanted = min(len(scores), count + len(exclude))
        top = np.argpartition(-scores, wanted - 1)[:wanted]
        found = [(self._ids[rows[i]], float(scores[i])) for i in top]
        found.sort(key=lambda hit: (-hit[1], hit[0]))  # equal scores by id, however the rows are grouped
        return [hit for hit in found if hit[0] not in exclude][:count]

    async def settled(self) -> None:
        """Wait for a fit of the cells in progress (benchmarks and tests)."""
        if self._fitting is not None:
            await asyncio.shield(self._fitting)

    def _fit_if_due(self) -> None:
        size = len(self._ids)
        if size < self.cells_from or self._fitting is not None:
            return
        if self._cells is not None and size - self._cells.size <= REFIT_SHARE * self._cells.size:
            return
        self._fitting = asyncio.ensure_future(self._fit(size))
        self._fitting.add_done_callback(self._fitted)

    async def _fit(self, size: int) -> None:
        cells, order = await asyncio.to_thread(_fit_quietly, self._matrix[:size])
        # Rows are only appended or replaced in place meanwhile: the first `size` stay the fitted ones.
        self._matrix = np.concatenate([self._matrix[:size][order], self._matrix[size:]])
        self._ids = [self._ids[i] for i in order] + self._ids[size:]
        self._position = {arxiv_id: n for n, arxiv_id in enumerate(self._ids)}
        self._cells = cells
        log.info("similarity index: %d vectors in %d cells", size, len(cells.centroids))

    def _fitted(self, task: asyncio.Task[None]) -> None:
        self._fitting = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("similarity index: fitting the cells failed (%s); scanning in full",
                        type(task.exception()).__name__)

    async def _refresh(self) -> None:
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.refresh_seconds:
            return
        async with self._lock:
            if self._checked_at is not None and self.clock() - self._checked_at < self.refresh_seconds:
                return
            if self._checked_at is None:
                await self._backfill()
            async with self.db.connect() as connection:
                fresh = await vector_store.vectors_since(
                    connection, self._newest, model=self.model.version, dimensions=DIMENSIONS
                )
            self._merge(fresh.ids, fresh.matrix)
            self._newest = fresh.newest
            self._checked_at = self.clock()
            self._fit_if_due()

    def _merge(self, ids: list[str], matrix: np.ndarray) -> None:
        if not ids:
            return
        replaced = [(self._position[arxiv_id], row) for arxiv_id, row in zip(ids, matrix, strict=True) if arxiv_id in self._position]
        for position, row in replaced:
            self._matrix[position] = row
        new = [(arxiv_id, row) for arxiv_id, row in zip(ids, matrix, strict=True) if arxiv_id not in self._position]
        if new:
            start = len(self._ids)
            self._ids.extend(arxiv_id for arxiv_id, _ in new)
            self._position.update({arxiv_id: start + n for n, (arxiv_id, _) in enumerate(new)})
            self._matrix = np.vstack([self._matrix, np.stack([row for _, row in new])])

    async def _backfill(self) -> None:
        """Give vectors to papers stored before the index existed (once, on first load)."""
        total = 0
        while True:
            async with self.db.connect() as connection:
                missing = await vector_store.papers_without_vectors(
                    connection, model=self.model.version, limit=BACKFILL_BATCH
                )
            if not missing:
                break
            await self.store(missing)
            total += len(missing)
        if total:
            log.info("computed text vectors for %d stored papers", total)


def _fit_quietly(matrix: np.ndarray) -> tuple[Cells, np.ndarray]:
    """Fit on one core, so the service's event loop keeps the other."""
    with threadpool_limits(1):
        return Cells.fit(matrix)
