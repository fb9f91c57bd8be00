"""Curate, summarize and render a 50-paper day; then time `paperwire digest --source FILE`.

    python bench/pipeline.py [DATA_DIR]    (default: ../shared/data/hf-daily; the shipped
                                            sample days when it is absent)

Targets (issue 2): the in-process stage under 100 ms (median of 20 runs) and the whole
command, process start to exit, under 1.5 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperwire.bot.sample import SAMPLE_DIR  # noqa: E402
from paperwire.bot.curation.classify import topics_for  # noqa: E402
from paperwire.bot.curation.select import curate  # noqa: E402
from paperwire.bot.curation.taxonomy import Taxonomy, load_taxonomy  # noqa: E402
from paperwire.bot.models import Digest, DigestEntry, Paper  # noqa: E402
from paperwire.bot.sources.files import FileSource  # noqa: E402
from paperwire.bot.summarize.extractive import summarize_extractive  # noqa: E402
from paperwire.config.settings import DEFAULT_TOPICS_FILE  # noqa: E402
from paperwire.formatters.markdown import render_markdown  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hf-daily"


def fifty_papers(data: Path) -> tuple[list[Paper], Path]:
    """The first 50 papers of the busiest recent days, and one day's file for the CLI run."""
    source = FileSource(data)
    days = source.days()
    papers: list[Paper] = []
    busiest = max(days[-30:], key=lambda day: (data / f"{day}.json").stat().st_size)
    for day in reversed(days):
        papers.extend(source.read_day(day).papers)
        if len(papers) >= 50:
            break
    for paper in papers:
        paper.list_day = days[-1]
    return papers[:50], data / f"{busiest}.json"


def stage(papers: list[Paper], taxonomy: Taxonomy) -> str:
    for paper in papers:
        paper.topics = topics_for(paper, taxonomy)
    curation = curate(papers[0].list_day, papers, taxonomy, max_papers=6, per_topic_cap=3)
    entries = [DigestEntry(pick=pick, card=summarize_extractive(pick.paper)) for pick in curation.picks]
    digest = Digest(
        list_day=curation.list_day,
        published=curation.list_day,
        language="en",
        entries=entries,
        exclusions=curation.exclusions,
        trends=[],
        topic_names=taxonomy.topic_names("en"),
        generated_at=datetime.now(UTC),
    )
    return render_markdown(digest)


def main() -> int:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    taxonomy = load_taxonomy(DEFAULT_TOPICS_FILE)
    if data.is_dir():
        papers, day_file = fifty_papers(data)
    else:
        print(f"(no {data}; using the shipped sample days)")
        papers = []
        for path in sorted(SAMPLE_DIR.glob("*.json")):
            papers.extend(FileSource(path).read_day(FileSource(path).days()[0]).papers)
        while len(papers) < 50:
            papers = papers + papers[: 50 - len(papers)]
        day_file = SAMPLE_DIR / "2026-02-20.json"
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        post = stage(papers, taxonomy)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"stage: {len(papers)} papers -> {len(post)} characters of Markdown")
    print(f"curate+summarize+render: median {statistics.median(timings):.1f} ms, "
          f"min {min(timings):.1f} ms, max {max(timings):.1f} ms over 20 runs   (target < 100 ms)")

    paperwire = Path(sys.executable).with_name("paperwire")
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "PAPERWIRE_DATA_DIR": scratch}
        runs = []
        for attempt in range(6):
            started = time.perf_counter()
            result = subprocess.run(
                [str(paperwire), "digest", "--source", str(day_file)],
                env=env, capture_output=True, text=True, check=False,
            )
            runs.append(time.perf_counter() - started)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
    print(f"paperwire digest --source {day_file.name}: first run (migrates, builds) {runs[0]:.2f} s, "
          f"rebuilds median {statistics.median(runs[1:]):.2f} s, worst {max(runs):.2f} s   (target < 1.5 s)")
    print(json.dumps({"stage_median_ms": round(statistics.median(timings), 1), "cli_first_s": round(runs[0], 2),
                      "cli_worst_s": round(max(runs), 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
