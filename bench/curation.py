"""Benchmark and eyeball curation over saved Daily Papers responses.

    python bench/curation.py [DATA_DIR] [--days N] [--show YYYY-MM-DD] [--topics FILE]

Prints classification speed (per paper, per batch of 50, for a 5,000-character abstract),
curation speed per day, and how picks and exclusions spread over topics and kinds.
DATA_DIR defaults to ../shared/data/hf-daily next to the repository.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import timeit
from collections import Counter
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.curation.classify import classify  # noqa: E402
from paperwire.bot.curation.select import curate  # noqa: E402
from paperwire.bot.curation.taxonomy import Taxonomy, load_taxonomy  # noqa: E402
from paperwire.bot.models import Curation, DayPapers, Paper  # noqa: E402
from paperwire.bot.sources.files import read_file  # noqa: E402


def best_ms(action: object, repeat: int = 5) -> float:
    """The best of `repeat` timings of one call, in milliseconds (the least disturbed run)."""
    return min(timeit.repeat(action, number=1, repeat=repeat)) * 1000  # type: ignore[arg-type]


def classification_figures(papers: list[Paper], taxonomy: Taxonomy) -> None:
    classify(papers[0], taxonomy)  # builds the keyword index once
    total = best_ms(lambda: [classify(paper, taxonomy) for paper in papers], repeat=3)
    print(f"classify: {total / len(papers):.3f} ms/paper over {len(papers)} papers")
    batch = papers[:50]
    batch_ms = best_ms(lambda: [classify(paper, taxonomy) for paper in batch])
    print(f"classify {len(batch)} papers: {batch_ms:.2f} ms")
    longest = max(papers, key=lambda paper: len(paper.abstract))
    repeats = 5000 // max(len(longest.abstract), 1) + 1
    padded = replace(longest, abstract=((longest.abstract + " ") * repeats)[:5000])
    long_ms = best_ms(lambda: classify(padded, taxonomy))
    print(f"classify a 5,000-character abstract: {long_ms:.3f} ms")


def show(curation: Curation) -> None:
    for pick in curation.picks:
        stars, title = "*" * pick.stars, pick.paper.title[:80]
        print(f"PICK {pick.rank} {stars:3} {pick.score:5.2f} {pick.topic:15} {title}")
    for exclusion in curation.exclusions:
        title, reason = exclusion.paper.title[:70], exclusion.reason["en"]
        print(f"  -- {exclusion.score:5.2f} {exclusion.kind:13} {title} | {reason}")


def curation_figures(days: list[DayPapers], taxonomy: Taxonomy, *, verbose: bool) -> None:
    picks: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    families: Counter[str] = Counter()
    day_ms: list[float] = []
    topics_per_day: list[int] = []
    picked: set[str] = set()
    for day in days:
        curation = curate(day.list_day, day.papers, taxonomy, picked_before=picked)
        day_ms.append(best_ms(lambda: curate(day.list_day, day.papers, taxonomy), repeat=1))
        picked |= {pick.paper.arxiv_id for pick in curation.picks}
        picks.update(pick.topic for pick in curation.picks)
        topics_per_day.append(len({pick.topic for pick in curation.picks}))
        kinds.update(exclusion.kind for exclusion in curation.exclusions)
        families.update(e.family for e in curation.exclusions if e.family)
        if verbose:
            show(curation)
    median, worst = statistics.median(day_ms), max(day_ms)
    print(f"curate: median {median:.2f} ms/day, max {worst:.2f} ms/day")
    per_day, topics = sum(picks.values()) / len(days), statistics.mean(topics_per_day)
    print(f"picks/day: {per_day:.2f}, topics/day: {topics:.2f}")
    print("picks by topic:", dict(picks.most_common()))
    print("exclusions by kind:", dict(kinds.most_common()))
    print("exclusions by family:", dict(families.most_common()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = REPO.parent / "shared/data/hf-daily"
    parser.add_argument("data_dir", nargs="?", type=Path, default=default_data)
    parser.add_argument("--days", type=int, default=0, help="only the last N days (0: all)")
    parser.add_argument("--show", help="print the picks and exclusions of one list day")
    parser.add_argument("--topics", type=Path, default=REPO / "config/topics.toml")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the real data has items the reader skips, loudly
    if not args.data_dir.is_dir():
        print(f"no data directory at {args.data_dir}", file=sys.stderr)
        return 1
    taxonomy = load_taxonomy(args.topics)
    files = sorted(args.data_dir.glob("????-??-??.json"))
    if args.show:
        files = [args.data_dir / f"{args.show}.json"]
    elif args.days:
        files = files[-args.days :]
    days = [read_file(path) for path in files]
    papers = [paper for day in days for paper in day.papers]
    print(f"days: {len(days)}, papers: {len(papers)}")
    if not papers:
        return 0
    classification_figures(papers, taxonomy)
    curation_figures(days, taxonomy, verbose=bool(args.show))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
