"""Simulate a chat whose votes follow its own taste, and measure how its picks follow.

    python bench/taste.py [--data DIR] [--taste efficient-llm,vla] [--vote-days 10] [--days 20]

Imports DATA_DIR into a temporary SQLite database and curates its last vote-days + days
list days with the real pipeline. The simulated chat votes on what it is shown for the
first vote-days (👍 when a pick's topic is in its taste, 👎 otherwise), through the real
votes table; over the next `days` it is shown its own picks (the global curation re-ranked
by its votes). Printed: precision against the chat's taste of its picks beside that of the
global picks on the same days, and how many picks each showed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.curation.taste import learn_taste, rerank_for_chat  # noqa: E402
from paperwire.bot.curation.taxonomy import load_taxonomy  # noqa: E402
from paperwire.bot.pipeline import Pipeline, PipelineOptions  # noqa: E402
from paperwire.bot.similar.lsa import shipped_model  # noqa: E402
from paperwire.bot.sources.errors import SourceError  # noqa: E402
from paperwire.bot.sources.files import FileSource  # noqa: E402
from paperwire.bot.store import papers as paper_store  # noqa: E402
from paperwire.bot.store import votes as vote_store  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.bot.summarize.extractive import ExtractiveSummarizer  # noqa: E402
from paperwire.config.settings import DEFAULT_TOPICS_FILE  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily"


def precision(picks: list, taste: set[str]) -> tuple[int, int]:
    return sum(1 for pick in picks if pick.topic in taste), len(picks)


async def main(args: argparse.Namespace) -> None:
    taste_topics = set(args.taste.split(","))
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-taste-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")
        await db.start()
        taxonomy = load_taxonomy(DEFAULT_TOPICS_FILE)
        options = PipelineOptions()
        pipeline = Pipeline(db, taxonomy, ExtractiveSummarizer(), options)
        source = FileSource(args.data)
        days = source.days()[-(args.vote_days + args.days):]
        for day in days:
            try:
                await pipeline.ingest(source.read_day(day), "bench")
            except SourceError as error:
                print(f"skipped {day}: {error}")
        model = shipped_model()
        topic_ids = tuple(taxonomy.topic_ids)
        chat = ("bench", "chat-1")
        global_hits = chat_hits = global_shown = chat_shown = 0
        votes_cast = 0
        started = time.perf_counter()
        rerank_times = []
        for index, day in enumerate(days):
            curation = await pipeline.curate_day(day)
            if curation is None:
                continue
            async with db.connect() as connection:
                net = await vote_store.chat_votes(connection, *chat)
                voted = await paper_store.get_papers(connection, list(net))
            taste = learn_taste([(voted[key], value) for key, value in net.items() if key in voted], model, topic_ids)
            began = time.perf_counter()
            shown, _ = rerank_for_chat(
                curation, taste, model, topic_ids, max_papers=options.max_papers, per_topic_cap=options.per_topic_cap
            )
            rerank_times.append((time.perf_counter() - began) * 1000)
            if index < args.vote_days:
                async with db.begin() as connection:
                    for pick in shown:
                        value = 1 if pick.topic in taste_topics else -1
                        await vote_store.record_vote(connection, *chat, "member-1", pick.paper.arxiv_id, value)
                        votes_cast += 1
                continue
            hits, count = precision(shown, taste_topics)
            chat_hits, chat_shown = chat_hits + hits, chat_shown + count
            hits, count = precision(curation.picks, taste_topics)
            global_hits, global_shown = global_hits + hits, global_shown + count
        await db.close()
    elapsed = time.perf_counter() - started
    print(f"taste {sorted(taste_topics)}: {votes_cast} votes on {args.vote_days} list days, then {args.days} days "
          f"({days[args.vote_days]} to {days[-1]})")
    print(f"global picks:  precision {global_hits / max(global_shown, 1):.2f} ({global_hits}/{global_shown})")
    print(f"chat's picks:  precision {chat_hits / max(chat_shown, 1):.2f} ({chat_hits}/{chat_shown})")
    rerank_times.sort()
    print(f"re-ranking a day for the chat: p50 {rerank_times[len(rerank_times) // 2]:.2f} ms, "
          f"max {rerank_times[-1]:.2f} ms; whole run {elapsed:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--taste", default="efficient-llm,vla")
    parser.add_argument("--vote-days", type=int, default=10)
    parser.add_argument("--days", type=int, default=20)
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(parser.parse_args()))
