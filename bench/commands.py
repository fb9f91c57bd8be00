"""Benchmark the chat command core on the whole saved archive.

    python bench/commands.py [--data DIR] [--db PATH | --database-url URL] [--seed N] [--open-loop RATE]

Imports DATA_DIR (default ../shared/data/hf-daily next to the repository) into SQLite with
the real pipeline unless the database already holds it, publishes digests of the last few
list days, then measures in-process (CommandCore.handle plus rendering, as `paperwire ask`
does it): `paper <id>` for 500 random stored ids (first ask, which makes and caches the
card, and a second ask), `search <two words>` for 200 word pairs from real titles, and
rounds of 200 concurrent mixed commands from 200 distinct users, and with `--open-loop
RATE` mixed commands arriving at RATE per second for 10 s whatever the replies do (the
latency a user sees under that load). `--database-url` runs it all on PostgreSQL; with
`--data` pointing at `bench/synth.py`'s output it measures a ~100k-paper archive.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.curation.taxonomy import load_taxonomy  # noqa: E402
from paperwire.bot.pipeline import Pipeline  # noqa: E402
from paperwire.bot.similar.index import SimilarityIndex  # noqa: E402
from paperwire.bot.similar.lsa import shipped_model  # noqa: E402
from paperwire.bot.sources.errors import SourceError  # noqa: E402
from paperwire.bot.sources.files import FileSource  # noqa: E402
from paperwire.bot.store import papers as paper_store  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.bot.summarize.extractive import ExtractiveSummarizer  # noqa: E402
from paperwire.bot.views import MessageView  # noqa: E402
from paperwire.config.settings import DEFAULT_TOPICS_FILE, CommandSettings  # noqa: E402
from paperwire.formatters.plain import render_view  # noqa: E402
from paperwire.handlers.core import CommandContext, CommandCore  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily"
DIGEST_DAYS = 5
PAPER_LOOKUPS = 500
SEARCHES = 200
CONCURRENT = 200
ROUNDS = 5
OPEN_LOOP_SECONDS = 10
_WORD = re.compile(r"^[A-Za-z][A-Za-z-]{3,}$")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, timings: list[float]) -> str:
    return (
        f"{name:<34} n={len(timings):<4} p50 {percentile(timings, 0.50):6.2f} ms   "
        f"p90 {percentile(timings, 0.90):6.2f} ms   p99 {percentile(timings, 0.99):6.2f} ms   "
        f"max {max(timings):6.2f} ms"
    )


async def import_archive(data: Path, db: Database, pipeline: Pipeline) -> None:
    source = FileSource(data)
    days = source.days()
    async with db.connect() as connection:
        stored = set(await paper_store.known_list_days(connection, with_papers=False))
    missing = [day for day in days if day not in stored]
    if not missing:
        print(f"archive already imported: {len(days)} list days")
        return
    started = time.perf_counter()
    for day in missing:
        try:
            await pipeline.ingest(source.read_day(day), f"bench {day}.json")
        except SourceError as error:
            print(f"skipped {day}: {error}")
    print(f"imported {len(missing)} list days in {time.perf_counter() - started:.1f} s")


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return (time.perf_counter() - started) * 1000


class Asker:
    """Sends commands as fresh users, so the per-user limit never refuses a measured command."""

    def __init__(self, core: CommandCore) -> None:
        self.core = core
        self.users = 0
        self.failures: list[str] = []

    async def ask(self, line: str) -> str:
        self.users += 1
        context = CommandContext("bench", "bench-chat", f"user-{self.users}", chat_kind="private")
        view = await self.core.handle(line, context)
        if isinstance(view, MessageView) and view.kind in ("error", "rate_limited"):
            self.failures.append(f"{line!r}: {view.lines[0]}")
        return render_view(view)


def two_word_queries(titles: list[str], count: int, rng: random.Random) -> list[str]:
    queries: list[str] = []
    while len(queries) < count:
        words = [word for word in rng.choice(titles).split() if _WORD.match(word)]
        if len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            queries.append(f"{words[start]} {words[start + 1]}".lower())
    return queries


def mixed_commands(ids: list[str], queries: list[str], topics: list[str], count: int, rng: random.Random) -> list[str]:
    makers: list[Callable[[], str]] = [
        lambda: f"paper {rng.choice(ids)}",
        lambda: f"paper {rng.choice(ids)}",
        lambda: f"/paper@PaperwireBot https://arxiv.org/abs/{rng.choice(ids)}v1",
        lambda: f"search {rng.choice(queries)}",
        lambda: f"search {rng.choice(queries)}",
        lambda: f"related {rng.choice(ids)}",
        lambda: "today",
        lambda: "digest yesterday",
        lambda: "excluded",
        lambda: "topics",
        lambda: f"topic {rng.choice(topics)}",
        lambda: "trends",
        lambda: "help",
    ]
    return [rng.choice(makers)() for _ in range(count)]


async def open_loop(asker: Asker, lines: list[str], rate: float) -> list[float]:
    """Start one command every 1/rate seconds, never waiting for replies; each one's latency."""
    timings = [0.0] * len(lines)

    async def one(index: int, line: str) -> None:
        timings[index] = await timed(lambda: asker.ask(line))

    tasks = []
    started = time.perf_counter()
    for index, line in enumerate(lines):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, line)))
    await asyncio.gather(*tasks)
    return timings


async def similarity_recall(db: Database, similar: SimilarityIndex, queries: list[str], ids: list[str]) -> str:
    """How many of a full scan's 10 nearest papers the cells find, for searches and `related`."""
    full = SimilarityIndex(db, shipped_model(), cells_from=sys.maxsize)
    found = wanted = 0
    for query in queries:
        exact = {key for key, _ in await full.query(query, 10)}
        found += len(exact & {key for key, _ in await similar.query(query, 10)})
        wanted += len(exact)
    search_recall = found / max(1, wanted)
    found = wanted = 0
    for arxiv_id in ids:
        exact = {key for key, _ in await full.related(arxiv_id, 10) or []}
        found += len(exact & {key for key, _ in await similar.related(arxiv_id, 10) or []})
        wanted += len(exact)
    return f"recall@10 {search_recall:.3f} for searches, {found / max(1, wanted):.3f} for related"


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    scratch = None if args.db or args.database_url else Path(tempfile.mkdtemp(prefix="paperwire-bench-"))
    db_path = Path(args.db) if args.db else (scratch / "bench.sqlite3" if scratch else None)
    db = Database(args.database_url or f"sqlite+aiosqlite:///{db_path}")
    await db.start()
    try:
        taxonomy = load_taxonomy(DEFAULT_TOPICS_FILE)
        similar = SimilarityIndex(db, shipped_model())
        pipeline = Pipeline(db, taxonomy, ExtractiveSummarizer(), similar=similar)
        print(f"database: {db.safe_url}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
        await import_archive(Path(args.data), db, pipeline)
        started = time.perf_counter()
        await db.refresh_statistics()  # as `paperwire import` does after a bulk load
        print(f"planner statistics refreshed in {time.perf_counter() - started:.1f} s")
        async with db.connect() as connection:
            days = await paper_store.known_list_days(connection)
            papers = await paper_store.count_papers(connection)
            # Plain strings, not 97k result rows: tracked objects the collector would walk,
            # which a serving process does not hold.
            ids, titles = map(list, zip(*(await connection.exec_driver_sql("SELECT arxiv_id, title FROM papers")), strict=True))
            carded = {
                row.arxiv_id
                for row in await connection.exec_driver_sql("SELECT arxiv_id FROM summaries WHERE language = 'en'")
            }
        print(f"store: {papers} papers over {len(days)} list days ({days[0]} to {days[-1]})")
        started = time.perf_counter()
        for day in days[-DIGEST_DAYS:]:
            await pipeline.build(day, "en")
        print(f"published digests of the last {DIGEST_DAYS} list days in {time.perf_counter() - started:.1f} s")

        core = CommandCore(db=db, pipeline=pipeline, taxonomy=taxonomy, hf=None, arxiv=None, commands=CommandSettings())
        asker = Asker(core)
        await asker.ask("help")  # warm-up: connections, caches, the classifier index
        gc.freeze()  # as `open_services` does once the service is up (bot/app.py)

        # Papers with no English card yet, so the first ask makes (and stores) one.
        sample = rng.sample([arxiv_id for arxiv_id in ids if arxiv_id not in carded], PAPER_LOOKUPS)
        first = [await timed(lambda line=f"paper {arxiv_id}": asker.ask(line)) for arxiv_id in sample]
        again = [await timed(lambda line=f"paper {arxiv_id}": asker.ask(line)) for arxiv_id in sample]
        queries = two_word_queries(titles, SEARCHES, rng)
        started = time.perf_counter()
        await asker.ask(f"related {ids[0]}")  # the index loads (and fills in missing vectors) once
        index_load = time.perf_counter() - started
        started = time.perf_counter()
        await similar.settled()  # the cells are fitted in the background meanwhile
        cells_fit = time.perf_counter() - started + index_load
        recall = await similarity_recall(db, similar, queries, rng.sample(ids, SEARCHES))
        searches = [await timed(lambda line=f"search {query}": asker.ask(line)) for query in queries]
        relateds = [await timed(lambda line=f"related {arxiv_id}": asker.ask(line)) for arxiv_id in rng.sample(ids, SEARCHES)]
        print()
        print(f"similarity index: first use {index_load:.1f} s (loads every stored vector, computes missing ones); "
              f"cells ready {cells_fit:.1f} s after it")
        print(f"similarity in cells against a full scan: {recall}")
        print(summary("paper <id> (first ask, card made)", first))
        print(summary("paper <id> (card cached)", again))
        print(summary("search <two words>", searches))
        print(summary("related <id>", relateds))

        topic_ids = list(taxonomy.topic_ids)
        rates = []
        for round_number in range(1, ROUNDS + 1):
            lines = mixed_commands(ids, queries, topic_ids, CONCURRENT, rng)
            started = time.perf_counter()
            await asyncio.gather(*(asker.ask(line) for line in lines))
            elapsed = time.perf_counter() - started
            rates.append(CONCURRENT / elapsed)
            cold = " (cold: reply caches empty, pool connections opening)" if round_number == 1 else ""
            print(
                f"round {round_number}: {CONCURRENT} concurrent commands from {CONCURRENT} users in "
                f"{elapsed * 1000:.0f} ms = {CONCURRENT / elapsed:.0f} commands/s{cold}"
            )
        warm = rates[1:]
        print(
            f"concurrent commands, rounds 2-{ROUNDS}: median {statistics.median(warm):.0f} commands/s, "
            f"worst {min(warm):.0f}; first round {rates[0]:.0f}"
        )
        if args.open_loop:
            count = int(args.open_loop * OPEN_LOOP_SECONDS)
            lines = mixed_commands(ids, queries, topic_ids, count, rng)
            timings = await open_loop(asker, lines, args.open_loop)
            print(summary(f"open loop {args.open_loop:g}/s for {OPEN_LOOP_SECONDS} s", timings))
            by_kind: dict[str, list[float]] = {}
            for line, timing in zip(lines, timings, strict=True):
                by_kind.setdefault(line.split()[0].lstrip("/").split("@")[0], []).append(timing)
            print("   " + ", ".join(f"{kind} p99 {percentile(values, 0.99):.1f} ms" for kind, values in sorted(by_kind.items())))
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        if asker.failures:
            print(f"{len(asker.failures)} commands failed, e.g. {asker.failures[0]}")
    finally:
        await db.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder of YYYY-MM-DD.json (default: %(default)s)")
    parser.add_argument("--db", help="SQLite file to use or reuse (default: a new temporary file)")
    parser.add_argument("--database-url", help="a PostgreSQL (or other) SQLAlchemy URL instead of SQLite")
    parser.add_argument("--open-loop", type=float, help="also run mixed commands arriving at this rate per second")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the sampled ids and queries")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("paperwire.bot.sources").setLevel(logging.ERROR)  # the archive's known malformed items
    asyncio.run(main(parser.parse_args()))
