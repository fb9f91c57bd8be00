"""Benchmark the Slack fan-out: one digest (overview + 6 cards) to 200 channels at Slack's limits.

    python bench/slack_fanout.py [--channels 200] [--rate-per-channel 1] [--workspace 100]
                                 [--concurrency 256] [--poll 0.5] [--database URL]

A temporary SQLite store (or --database) gets the shipped sample day (2026-02-20) and its
English digest; the real formatter's payloads are planned for every channel, then the real
SlackSender and DeliveryWorker send them to the fake Slack (tests/fakes/slack.py), which
answers 429 to any post over its per-channel rate or over the workspace cap. The same two
limits are paperwire's settings. The fake runs in a process of its own, as Slack does, so
its work neither slows the sender nor skews its arrival clock.

The floor is what the limits allow: messages / workspace cap, or (messages per channel - 1)
/ per-channel rate if that is longer; 14 s for 1,400 messages at 100/s. Target: total time
within 10% of the floor, zero 429 answers. The worker's default concurrency (64) is too few
here: a claimed card waits about a second for its channel, so at 100 messages/s some 200
rows are in hand at once; --concurrency 64 shows the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402

from paperwire.bot.delivery.slack import SlackSender, make_client, render_payloads  # noqa: E402
from paperwire.bot.delivery.worker import DeliveryWorker  # noqa: E402
from paperwire.bot.store import outbox  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.config.settings import SlackSettings  # noqa: E402
from fanout import fake_in_child, plan_sample_digest  # noqa: E402
from tests.fakes.slack import SlackFake  # noqa: E402



def _serve_fake(connection: Connection, rate_per_channel: float, rate_per_workspace: float) -> None:
    """In the child process: run the fake until told to stop, then send back what it saw."""

    async def serve() -> None:
        fake = SlackFake(rate_per_channel=rate_per_channel, rate_per_workspace=rate_per_workspace)
        async with fake:
            connection.send((fake.base_url, fake.bot_token))
            await asyncio.get_running_loop().run_in_executor(None, connection.recv)
            posted = [{key: post[key] for key in ("channel", "thread_ts", "ts", "time")} for post in fake.posted]
            connection.send({"rate_limited": fake.rate_limited, "posted": posted})

    asyncio.run(serve())


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        db = Database(url)
        await db.start()
        try:
            channels = [f"C{number:08d}" for number in range(args.channels)]
            digest_ids, per_channel, _ = await plan_sample_digest(db, "slack", channels, render_payloads)
            with fake_in_child(_serve_fake, args.rate_per_channel, args.workspace) as child:
                base_url, bot_token = child.hello
                settings = SlackSettings(
                    bot_token=bot_token,
                    base_url=base_url,
                    rate_per_channel=args.rate_per_channel,
                    rate_per_workspace=args.workspace,
                )
                connector = aiohttp.TCPConnector(limit=args.connections)
                async with aiohttp.ClientSession(connector=connector) as session:
                    sender = SlackSender(make_client(settings, session), settings)
                    worker = DeliveryWorker(db, sender, concurrency=args.concurrency, poll_seconds=args.poll)
                    started = time.perf_counter()
                    await worker.run(asyncio.Event(), digest_ids=digest_ids, until_idle=True)
                    elapsed = time.perf_counter() - started
            async with db.connect() as connection:
                counts = await outbox.status_counts(connection, digest_ids)
        finally:
            await db.close()
    rate_limited, posts = child.report["rate_limited"], child.report["posted"]
    total = args.channels * per_channel
    floor = max(total / args.workspace, (per_channel - 1) / args.rate_per_channel)
    posted = len(posts)
    threads_ok = _cards_threaded(posts, per_channel)
    print(f"channels             {args.channels}")
    print(f"messages             {total} ({per_channel} a channel: 1 overview + {per_channel - 1} cards)")
    print(f"limits               {args.rate_per_channel:g}/s per channel, {args.workspace:g}/s per workspace")
    print(f"worker               concurrency {args.concurrency}, poll {args.poll}s, {args.connections} connections")
    print(f"posted               {posted}   outbox {dict(sorted(counts.items()))}")
    print(f"cards threaded       {'yes' if threads_ok else 'NO'}")
    print(f"total time           {elapsed:.2f} s")
    print(f"floor                {floor:.2f} s   (ratio {elapsed / floor:.3f}; target <= 1.10)")
    print(f"throughput           {posted / elapsed:.1f} messages/s")
    print(f"429 answers          {rate_limited}   (target 0)")
    ok = elapsed <= floor * 1.10 and rate_limited == 0 and counts.get("sent", 0) == total
    print(f"target met           {'yes' if ok else 'no'}")
    return 0 if ok else 1


def _cards_threaded(posted: list[dict[str, Any]], per_channel: int) -> bool:
    """Every channel got one parent and the rest in its thread, in posting order."""
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for post in posted:
        by_channel[post["channel"]].append(post)
    for posts in by_channel.values():
        parent, *cards = posts
        if len(posts) != per_channel or parent["thread_ts"] is not None:
            return False
        if any(card["thread_ts"] != parent["ts"] for card in cards):
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--rate-per-channel", type=float, default=1.0)
    parser.add_argument("--workspace", type=float, default=100.0, help="workspace cap, messages/s (both sides)")
    parser.add_argument("--concurrency", type=int, default=256, help="rows a worker holds at once (default 64)")
    parser.add_argument("--poll", type=float, default=0.5, help="worker poll interval, seconds (the default)")
    parser.add_argument("--connections", type=int, default=100, help="HTTP connections to the fake")
    parser.add_argument("--database", help="SQLAlchemy URL instead of a temporary SQLite file")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
