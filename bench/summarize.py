"""Benchmark of the extractive summarizer over saved Daily Papers responses.

Prints the time per paper and per 50 papers (best of several runs, CPU time), how often each
card field gets filled, and how many fields would fail the numbers check (should be 0).

    python bench/summarize.py [DATA_DIR] [--papers N] [--repeat R]

DATA_DIR defaults to ../shared/data/hf-daily next to the repository.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path

from paperwire.bot.models import Card, Paper
from paperwire.bot.summarize.extractive import summarize_extractive
from paperwire.bot.summarize.sentences import numbers_supported

log = logging.getLogger(__name__)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hf-daily"


def load_papers(data_dir: Path, limit: int) -> list[Paper]:
    """Papers from the saved responses, skipping (with a warning) what cannot be read."""
    papers: list[Paper] = []
    for path in sorted(data_dir.glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        items = payload.get("data", []) if isinstance(payload, dict) else payload
        for item in items:
            if isinstance(item, str):
                try:
                    item = ast.literal_eval(item)  # some saved items are Python reprs
                except (ValueError, SyntaxError):
                    log.warning("skipping an unreadable item in %s", path.name)
                    continue
            raw = item.get("paper") if isinstance(item, dict) else None
            if not isinstance(raw, dict):
                continue
            papers.append(
                Paper(
                    arxiv_id=str(raw.get("id", "")),
                    title=str(raw.get("title", "")),
                    abstract=str(raw.get("summary", "")),
                    ai_summary=raw.get("ai_summary"),
                )
            )
            if len(papers) >= limit:
                return papers
    return papers


def card_texts(card: Card) -> list[str]:
    single = [card.one_liner, card.core_innovation, card.key_insight, card.fits, card.limitations, card.next_action]
    return [text for text in single + card.innovation_points + card.results if text]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if not args.data_dir.is_dir():
        print(f"no data directory at {args.data_dir}", file=sys.stderr)
        return 1

    papers = load_papers(args.data_dir, args.papers)
    if not papers:
        print("no papers found", file=sys.stderr)
        return 1
    best = float("inf")
    cards: list[Card] = []
    for _ in range(max(args.repeat, 1)):
        started = time.process_time()
        cards = [summarize_extractive(paper) for paper in papers]
        best = min(best, time.process_time() - started)

    filled: Counter[str] = Counter()
    ungrounded = 0
    for paper, card in zip(papers, cards):
        for name in ("core_innovation", "key_insight", "fits", "limitations", "next_action"):
            filled[name] += bool(getattr(card, name))
        filled["innovation_points"] += bool(card.innovation_points)
        filled["results"] += bool(card.results)
        ungrounded += sum(not numbers_supported(text, paper.source_text) for text in card_texts(card))

    per_paper = best / len(papers)
    print(f"papers                 {len(papers)}")
    print(f"time per paper         {per_paper * 1e6:.0f} us (CPU, best of {args.repeat})")
    print(f"time per 50 papers     {per_paper * 50 * 1e3:.2f} ms")
    for name, count in sorted(filled.items()):
        print(f"filled {name:<17} {100 * count / len(papers):5.1f} %")
    print(f"fields with unsupported numbers   {ungrounded}")
    return 0 if ungrounded == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
