"""How `search` combines the full-text ranking with text similarity.

Papers whose title holds every word come first, as before; the rest are ordered by
reciprocal-rank fusion of the two rankings, so a paper found by both rises, and one that
says the same thing in other words (found only by similarity) still appears.
"""

from __future__ import annotations

from collections.abc import Sequence

# RRF's usual constant: damps the head of each ranking so neither list dominates.
RRF_K = 60
# Below this cosine a similarity match is noise (good matches score 0.5-0.9).
MIN_SIMILARITY = 0.35


def blend_rankings(
    full_text: Sequence[tuple[str, bool]], similar: Sequence[tuple[str, float]], limit: int
) -> list[str]:
    """Ids in display order from (id, title_match) full-text hits and (id, cosine) neighbours."""
    title_first = [arxiv_id for arxiv_id, title_match in full_text if title_match]
    scores: dict[str, float] = {}
    for position, (arxiv_id, _) in enumerate(full_text):
        scores[arxiv_id] = scores.get(arxiv_id, 0.0) + 1.0 / (RRF_K + position + 1)
    for position, (arxiv_id, cosine) in enumerate(similar):
        if cosine >= MIN_SIMILARITY:
            scores[arxiv_id] = scores.get(arxiv_id, 0.0) + 1.0 / (RRF_K + position + 1)
    chosen = set(title_first)
    rest = sorted((arxiv_id for arxiv_id in scores if arxiv_id not in chosen), key=lambda key: -scores[key])
    return (title_first + rest)[:limit]
