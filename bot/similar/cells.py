"""An inverted-file index over the archive's unit vectors: k-means cells, so a query scores
the vectors of the few cells nearest to it instead of the whole archive.

At 100k papers a full scan costs about 4 ms of CPU for every `search` and `related`; the
cells cut that to the ~8% of vectors in the probed cells, with the nearest papers found as
the full scan finds them (`bench/commands.py` prints the recall against the full scan).
"""

from __future__ import annotations

import math

import numpy as np

# Below this many vectors a full scan is cheap (under a millisecond) and exact: no cells.
CELLS_FROM = 20_000
# Vectors the centroids are fitted on (more only slows the fit, not the cells).
FIT_SAMPLE = 30_000
# Rows assigned to cells per matrix product (bounds the memory of the assignment).
ASSIGN_BLOCK = 8192


def cell_count(size: int) -> int:
    """About sqrt(n) cells: a query's cost of ranking the cells matches that of scanning them."""
    return max(1, math.isqrt(size))


def probe_count(cells: int) -> int:
    """Cells a query scans: enough that its nearest papers are almost never in another."""
    return min(cells, max(8, math.ceil(cells * 0.08)))


class Cells:
    """The cells of one matrix of unit vectors, whose rows are grouped by cell.

    `fit` returns the cells and the row order that groups them; the owner reorders its
    rows with it (no copy of the vectors is kept here). Rows added later are not in any cell:
    the owner scans them in full until the next fit.
    """

    def __init__(self, centroids: np.ndarray, bounds: np.ndarray) -> None:
        self.centroids = centroids  # (cells, dimensions), unit length
        self.bounds = bounds  # rows of cell c are bounds[c]:bounds[c + 1]
        self.size = int(bounds[-1])
        self.probes = probe_count(len(centroids))
        self._rows = np.arange(self.size)  # sliced per probed cell, not made again per query

    @classmethod
    def fit(cls, matrix: np.ndarray, *, seed: int = 0) -> tuple[Cells, np.ndarray]:
        """Cells for `matrix` and the row order that groups its rows by cell."""
        from sklearn.cluster import MiniBatchKMeans  # lazy: scikit-learn costs ~1 s to import

        count = cell_count(len(matrix))
        rng = np.random.default_rng(seed)
        sample = matrix if len(matrix) <= FIT_SAMPLE else matrix[rng.choice(len(matrix), FIT_SAMPLE, replace=False)]
        kmeans = MiniBatchKMeans(n_clusters=count, random_state=seed, n_init=1, batch_size=4096, max_iter=20)
        centroids = kmeans.fit(sample).cluster_centers_.astype(np.float32)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids /= np.where(norms > 0, norms, 1.0)
        cell = np.concatenate([
            np.argmax(matrix[start:start + ASSIGN_BLOCK] @ centroids.T, axis=1)
            for start in range(0, len(matrix), ASSIGN_BLOCK)
        ])
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(count + 1))
        return cls(centroids, bounds), order

    def scores(self, matrix: np.ndarray, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the probed cells and their scores (rows grouped as `fit` ordered them)."""
        near = np.argpartition(-(self.centroids @ vector), self.probes - 1)[: self.probes]
        spans = [(int(self.bounds[c]), int(self.bounds[c + 1])) for c in near]
        rows = np.concatenate([self._rows[start:end] for start, end in spans])
        scores = np.concatenate([matrix[start:end] @ vector for start, end in spans])
        return rows, scores
