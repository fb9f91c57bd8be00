"""Rebuild the shipped text representation (bot/similar/lsa.npz) from saved Daily Papers days.

    python scripts/train_similarity.py [--data DIR] [--out FILE]

TF-IDF over title (twice), abstract and keywords, reduced to 96 dimensions by truncated SVD
(latent semantic analysis), so papers and queries that use different words for the same
thing land close together. Deterministic (fixed seed, sorted input). The file holds the
vocabulary, the idf weights and the SVD basis as plain arrays: loading it runs no code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
from sklearn.decomposition import TruncatedSVD

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.models import Paper  # noqa: E402
from paperwire.bot.similar.lsa import DIMENSIONS, new_vectorizer, paper_text  # noqa: E402
from paperwire.bot.sources.files import FileSource  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily"
DEFAULT_OUT = REPO / "bot" / "similar" / "lsa.npz"


def read_papers(data: Path) -> list[Paper]:
    """Every distinct paper of the saved days, read by paperwire's own parser, sorted by id."""
    found: dict[str, Paper] = {}
    for day in FileSource(data).iter_days():
        for paper in day.papers:
            found[paper.arxiv_id] = paper
    return [found[key] for key in sorted(found)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the archive's known malformed items are skipped quietly
    papers = read_papers(args.data)
    texts = [paper_text(paper) for paper in papers]
    vectorizer = new_vectorizer()
    matrix = vectorizer.fit_transform(texts)
    svd = TruncatedSVD(n_components=DIMENSIONS, algorithm="randomized", n_iter=7, random_state=0)
    svd.fit(matrix)
    vocabulary = np.array(vectorizer.get_feature_names_out(), dtype=str)
    np.savez_compressed(
        args.out,
        vocabulary=vocabulary,
        idf=vectorizer.idf_.astype(np.float32),
        stop_words=np.array(sorted(vectorizer.get_stop_words()), dtype=str),
        components=svd.components_.astype(np.float16),
    )
    size = args.out.stat().st_size / 1e6
    explained = float(svd.explained_variance_ratio_.sum())
    print(f"{len(papers)} papers, {len(vocabulary)} terms, {DIMENSIONS} dimensions "
          f"({explained:.1%} of the variance); wrote {args.out} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
