"""Rebuild the shipped text representation (bot/similar/lsa.npz) from saved Daily Papers days.

    python scripts/train_similarity.py [--data DIR] [--out FILE]

TF-IDF over title (twice), abstract and keywords, reduced to 96 dimensions by truncated SVD
(latent semantic analysis), so papers and queries that use different words for the same
thing land close together. Deterministic (fixed seed, sorted input). The file holds the
vocabulary, the idf weights and the SVD basis as plain arrays: loading it runs no code.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.decomposition import TruncatedSVD

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.similar.lsa import DIMENSIONS, document_text, new_vectorizer  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily"
DEFAULT_OUT = REPO / "bot" / "similar" / "lsa.npz"


def read_papers(data: Path) -> list[tuple[str, str, str, list[str]]]:
    """(id, title, abstract, keywords) of every distinct paper, sorted by id."""
    found: dict[str, tuple[str, str, str, list[str]]] = {}
    for path in sorted(data.glob("*.json")):
        raw = json.loads(path.read_text())
        items = raw.get("data", []) if isinstance(raw, dict) else raw
        for item in items:
            if isinstance(item, str):
                try:
                    item = ast.literal_eval(item)
                except (ValueError, SyntaxError):
                    continue
            paper = item.get("paper") if isinstance(item, dict) else None
            if not isinstance(paper, dict) or not paper.get("id"):
                continue
            keywords = [k for k in paper.get("ai_keywords") or [] if isinstance(k, str)]
            found[paper["id"]] = (paper["id"], paper.get("title") or "", paper.get("summary") or "", keywords)
    return [found[key] for key in sorted(found)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    papers = read_papers(args.data)
    texts = [document_text(title, abstract, keywords) for _, title, abstract, keywords in papers]
    vectorizer = new_vectorizer()
    matrix = vectorizer.fit_transform(texts)
    svd = TruncatedSVD(n_components=DIMENSIONS, algorithm="randomized", n_iter=7, random_state=0)
    svd.fit(matrix)
    vocabulary = np.array(vectorizer.get_feature_names_out(), dtype=str)
    np.savez_compressed(
        args.out,
        vocabulary=vocabulary,
        idf=vectorizer.idf_.astype(np.float32),
        components=svd.components_.astype(np.float16),
    )
    size = args.out.stat().st_size / 1e6
    explained = float(svd.explained_variance_ratio_.sum())
    print(f"{len(papers)} papers, {len(vocabulary)} terms, {DIMENSIONS} dimensions "
          f"({explained:.1%} of the variance); wrote {args.out} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
