"""Benchmark the Telegram fan-out: the sample day's digest (overview + 6 cards) to 1,000 chats.

    python bench/telegram_fanout.py [--chats 1000] [--groups 20] [--per-bot 100] [--per-chat 5]
                                    [--per-group-minute 20] [--concurrency 200] [--database URL]
                                    [--replicas 2 --database postgresql+asyncpg://...]

With `--replicas N` (PostgreSQL), N sender processes send the same bot's messages from one
database, as N replicas of `paperwire serve` would: the bot's send budget is a row in the
database that every replica takes its slots from, so together they stay under the per-bot
limit (target: 0 answers of 429, together at least 90% of it).

A temporary SQLite store gets the shipped sample day (2026-02-20) and its English digest;
the real formatter's payloads are planned for every chat (private chats, and a few
supergroups), in the order `paperwire publish` plans them (by chat id), then the real
TelegramSender and DeliveryWorker send them to the fake Bot API (tests/fakes/telegram.py),
which answers 429 to any message over its limits. The fake runs in a process of its own,
so the two sides use both cores and the sender's peak RSS is its own. Both sides run at
the same scaled-up limits (default 100 messages/s per bot, 5/s per private chat, 20/min
per group). Targets: throughput at least 90% of the per-bot limit, zero 429 answers, peak
RSS of the sender under 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import multiprocessing
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.delivery.ratelimit import SendBudgets  # noqa: E402
from paperwire.bot.delivery.telegram import TelegramSender, make_bot, render_payloads  # noqa: E402
from paperwire.bot.delivery.worker import DeliveryWorker  # noqa: E402
from paperwire.bot.store import outbox  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.config.settings import TelegramSettings  # noqa: E402
from fanout import fake_in_child, plan_sample_digest  # noqa: E402
from tests.fakes.telegram import FakeTelegram, RateLimits  # noqa: E402

FIRST_PRIVATE_ID = 100_000
FIRST_GROUP_ID = -1_000_000_000_100


def serve_fake(pipe: Connection, limits: RateLimits) -> None:
    """In the child process: serve the fake until told to stop, then report what it saw."""

    async def serve() -> None:
        async with FakeTelegram(limits=limits) as fake:
            pipe.send((fake.base_url, fake.token))
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            in_order = all(
                [message["message_id"] for message in fake.sent_to(chat)] == sorted(
                    message["message_id"] for message in fake.sent_to(chat)
                )
                for chat in {message["chat"] for message in fake.sent}
            )
            pipe.send(
                {
                    "sent": len(fake.sent),
                    "too_many_requests": fake.too_many_requests,
                    "limited_by": dict(fake.limited_by),
                    "in_order": in_order,
                    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                }
            )

    # The fake keeps every request it answers; with thousands held, its garbage collector
    # pauses for tens of milliseconds and then counts the queued requests as one burst, a
    # quirk of the fake that Telegram's servers do not share. Its process runs without it.
    gc.disable()
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(serve())


def replica(pipe: Connection, url: str, settings: TelegramSettings, digest_ids: list[int], options: dict) -> None:
    """In a child process: one replica's worker, its budget shared through the database."""

    async def send() -> None:
        db = Database(url)
        await db.start()
        try:
            async with make_bot(settings, connections=options["connections"]) as bot:
                sender = TelegramSender(bot, settings)
                budget = SendBudgets(db).get(sender.account, sender.platform_rate)
                worker = DeliveryWorker(
                    db, sender, concurrency=options["concurrency"], poll_seconds=options["poll"],
                    lease_seconds=600, budget=budget,
                )  # fmt: skip
                pipe.recv()  # every replica starts together
                started = time.perf_counter()
                await worker.run(asyncio.Event(), digest_ids=digest_ids, until_idle=True)
                pipe.send((started, time.perf_counter()))
        finally:
            await db.close()

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(send())


async def run_replicas(count: int, url: str, settings: TelegramSettings, digest_ids: list[int], args) -> float:
    """Start `count` replicas, let them send, and return the wall time from the first start to the last end."""
    context = multiprocessing.get_context("spawn")
    options = {"connections": args.connections, "concurrency": args.concurrency, "poll": args.poll}
    pipes, children = [], []
    for _ in range(count):
        ours, theirs = context.Pipe()
        child = context.Process(target=replica, args=(theirs, url, settings, digest_ids, options), daemon=True)
        child.start()
        pipes.append(ours)
        children.append(child)
    await asyncio.sleep(3.0)  # let every replica open its database and log in
    started = time.perf_counter()
    for pipe in pipes:
        pipe.send("go")
    ends = []
    for pipe in pipes:
        await asyncio.get_running_loop().run_in_executor(None, pipe.poll, 3600)
        ends.append(pipe.recv()[1])
    for child in children:
        child.join(10)
    return max(ends) - started


async def empty_postgres(url: str) -> None:
    """A scratch database: emptied first, so every run plans and sends everything."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def chat_ids(chats: int, groups: int) -> list[str]:
    """Private chats with a few supergroups spread among them."""
    step = max(chats // max(groups, 1), 1)
    ids: list[str] = []
    group = 0
    for number in range(chats):
        if group < groups and number % step == step // 2:
            ids.append(str(FIRST_GROUP_ID - group))
            group += 1
        else:
            ids.append(str(FIRST_PRIVATE_ID + number))
    return ids


async def run(args: argparse.Namespace) -> int:
    # `paperwire publish` plans chats in subscription order, by chat id as text.
    chats = sorted(chat_ids(args.chats, args.groups))
    limits = RateLimits(
        per_bot_per_second=args.per_bot,
        per_private_chat_per_second=args.per_chat,
        per_group_per_minute=args.per_group_minute,
    )
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        if url.startswith("postgresql"):
            await empty_postgres(url)
        db = Database(url)
        await db.start()
        try:
            digest_ids, per_chat = await plan_sample_digest(db, "telegram", chats, render_payloads)
            with fake_in_child(serve_fake, limits) as child:
                base_url, token = child.hello
                settings = TelegramSettings(
                    token=token,
                    base_url=base_url,
                    rate_per_bot=args.per_bot,
                    rate_per_private_chat=args.per_chat,
                    rate_per_group_per_minute=args.per_group_minute,
                )
                if args.replicas > 1 or args.shared_budget:
                    elapsed = await run_replicas(args.replicas, url, settings, digest_ids, args)
                else:
                    async with make_bot(settings, connections=args.connections) as bot:
                        worker = DeliveryWorker(
                            db,
                            TelegramSender(bot, settings),
                            concurrency=args.concurrency,
                            poll_seconds=args.poll,
                            lease_seconds=600,
                        )
                        started = time.perf_counter()
                        await worker.run(asyncio.Event(), digest_ids=digest_ids, until_idle=True)
                        elapsed = time.perf_counter() - started
            async with db.connect() as connection:
                counts = await outbox.status_counts(connection, digest_ids)
        finally:
            await db.close()
    fake = child.report
    total = len(chats) * per_chat
    sent = fake["sent"]
    throughput = sent / elapsed
    share = throughput / args.per_bot
    rss_mb = resource.getrusage(
        resource.RUSAGE_CHILDREN if args.replicas > 1 else resource.RUSAGE_SELF
    ).ru_maxrss / 1024
    groups = sum(1 for chat in chats if chat.startswith("-"))
    print(f"chats                {len(chats)} ({len(chats) - groups} private, {groups} supergroups)")
    print(f"messages             {total} ({per_chat} a chat: 1 overview + {per_chat - 1} cards)")
    print(f"limits               {args.per_bot:g}/s per bot, {args.per_chat:g}/s per private chat, "
          f"{args.per_group_minute:g}/min per group (fake and paperwire alike)")
    print(f"worker               concurrency {args.concurrency}, poll {args.poll}s, {args.connections} connections"
          + (f", {args.replicas} replicas sharing one send budget in the database" if args.replicas > 1 else ""))
    print(f"sent                 {sent}   outbox {dict(sorted(counts.items()))}   "
          f"in order per chat: {'yes' if fake['in_order'] else 'NO'}")
    print(f"wall time            {elapsed:.2f} s   (floor at the per-bot limit: {total / args.per_bot:.2f} s)")
    print(f"throughput           {throughput:.1f} messages/s = {share:.1%} of {args.per_bot:g}/s   (target >= 90%)")
    print(f"429 answers          {fake['too_many_requests']}   (target 0)   by limit: {fake['limited_by'] or '-'}")
    print(f"peak RSS             {rss_mb:.0f} MB sender   (target < 200 MB); the fake: {fake['rss_mb']:.0f} MB")
    ok = (
        share >= 0.90
        and fake["too_many_requests"] == 0
        and rss_mb < 200
        and counts.get("sent", 0) == total
        and fake["in_order"]
    )
    print(f"target met           {'yes' if ok else 'no'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=20, help="how many of the chats are supergroups")
    parser.add_argument("--per-bot", type=int, default=100, help="messages/s per bot (both sides)")
    parser.add_argument("--per-chat", type=int, default=5, help="messages/s per private chat (both sides)")
    parser.add_argument("--per-group-minute", type=int, default=20, help="messages/min per group (both sides)")
    parser.add_argument("--concurrency", type=int, default=200, help="rows a worker holds at once")
    parser.add_argument("--poll", type=float, default=0.05, help="worker poll interval, seconds")
    parser.add_argument("--connections", type=int, default=64, help="HTTP connections to the fake")
    parser.add_argument("--database", help="SQLAlchemy URL instead of a temporary SQLite file (a scratch "
                        "PostgreSQL database is emptied first)")
    parser.add_argument("--replicas", type=int, default=1, help="sender processes sharing the bot (PostgreSQL)")
    parser.add_argument("--shared-budget", action="store_true",
                        help="one replica, taking its slots from the budget in the database (PostgreSQL)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.replicas > 1 and not (args.database or "").startswith("postgresql"):
        parser.error("--replicas needs --database postgresql+asyncpg://... (replicas share the budget through it)")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
