"""Benchmark the Telegram fan-out: the sample day's digest (overview + 6 cards) to 1,000 chats.

    python bench/telegram_fanout.py [--chats 1000] [--groups 20] [--per-bot 100] [--per-chat 5]
                                    [--per-group-minute 20] [--concurrency N] [--poll S] [--database URL]
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

In the same run, python-telegram-bot's own `AIORateLimiter` (what a Python developer would
write instead: every chat's messages in order, all chats at once, the limiter pacing them
and retrying 429s) sends the same payloads to a fresh fake at the same limits. For both it
prints the rate while sending (first to last message the fake accepted), paperwire's rate
from process start (imports, database, planning included), the answers of 429 and the CPU
seconds of this process per message sent. `--profile FILE` writes a cProfile of
paperwire's sending phase and prints its top costs. `--database URL` drops every table of
that database first (use a scratch one).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
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

import psutil  # noqa: E402

from paperwire.bot.delivery.ratelimit import SendBudgets  # noqa: E402
from paperwire.bot.delivery.telegram import (  # noqa: E402
    PACING_HEADROOM,
    TelegramSender,
    make_bot,
    render_payloads,
    send_message,
)
from paperwire.bot.delivery.worker import POLL_SECONDS, DeliveryWorker, fanout_concurrency  # noqa: E402
from paperwire.bot.store import outbox  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.config.settings import TelegramSettings  # noqa: E402
from paperwire.formatters.telegram import TelegramMessage  # noqa: E402
from fanout import fake_in_child, plan_sample_digest  # noqa: E402
from tests.conftest import reset_postgres  # noqa: E402
from tests.fakes.telegram import FakeTelegram, RateLimits  # noqa: E402
from paperwire.bot.delivery.telegram import FANOUT_CONNECTIONS, fanout_request  # noqa: E402

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
            times = sorted(message["at"] for message in fake.sent)
            pipe.send(
                {
                    "first_at": times[0] if times else 0.0,
                    "last_at": times[-1] if times else 0.0,
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


async def run_paperwire(args: argparse.Namespace, chats: list[str], limits: RateLimits) -> dict:
    """paperwire's worker sending the planned rows; its figures."""
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        if url.startswith("postgresql"):
            await reset_postgres(url)
        db = Database(url)
        await db.start()
        try:
            digest_ids, per_chat, payloads = await plan_sample_digest(db, "telegram", chats, render_payloads)
            with fake_in_child(serve_fake, limits) as child:
                base_url, token = child.hello
                settings = TelegramSettings(
                    token=token,
                    base_url=base_url,
                    rate_per_bot=args.per_bot,
                    rate_per_private_chat=args.per_chat,
                    rate_per_group_per_minute=args.per_group_minute,
                )
                profile = cProfile.Profile() if args.profile else None
                cpu = time.process_time()
                if args.replicas > 1 or args.shared_budget:
                    elapsed = await run_replicas(args.replicas, url, settings, digest_ids, args)
                    children = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu = children.ru_utime + children.ru_stime  # the replicas' (and the fake's)
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
                        if profile:
                            profile.enable()
                        await worker.run(asyncio.Event(), digest_ids=digest_ids, until_idle=True)
                        if profile:
                            profile.disable()
                        elapsed = time.perf_counter() - started
                        cpu = time.process_time() - cpu
            async with db.connect() as connection:
                counts = await outbox.status_counts(connection, digest_ids)
        finally:
            await db.close()
    if profile:
        profile.dump_stats(args.profile)
    return {
        "fake": child.report,
        "per_chat": per_chat,
        "payloads": payloads,
        "elapsed": elapsed,
        "cpu": cpu,
        "counts": counts,
    }


async def run_reference(args: argparse.Namespace, chats: list[str], payloads: list[dict], limits: RateLimits) -> dict:
    """python-telegram-bot's AIORateLimiter sending the same messages, each chat's in order."""
    from telegram.ext import AIORateLimiter, ExtBot

    messages = [TelegramMessage.from_dict(payload) for payload in payloads]
    failures = 0
    with fake_in_child(serve_fake, limits) as child:
        base_url, token = child.hello
        limiter = AIORateLimiter(
            overall_max_rate=args.per_bot,
            group_max_rate=args.per_group_minute,
            max_retries=args.reference_retries,
        )
        bot = ExtBot(token, base_url=base_url, request=fanout_request(args.connections), rate_limiter=limiter)
        async with bot:
            cpu = time.process_time()
            started = time.perf_counter()

            async def to_chat(chat: str) -> None:
                nonlocal failures
                for message in messages:
                    try:
                        await send_message(bot, chat, message)
                    except Exception:  # a 429 after the retries, or anything else: counted
                        failures += 1

            await asyncio.gather(*(to_chat(chat) for chat in chats))
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
    return {"fake": child.report, "elapsed": elapsed, "cpu": cpu, "failures": failures}


def top_costs(path: str, count: int = 8) -> str:
    """The functions with the most time of their own in a cProfile dump."""
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(count)
    lines = out.getvalue().splitlines()
    header = next(index for index, line in enumerate(lines) if line.strip().startswith("ncalls"))
    return "\n".join(lines[header:])


async def run(args: argparse.Namespace) -> int:
    # `paperwire publish` plans chats in subscription order, by chat id as text.
    chats = sorted(chat_ids(args.chats, args.groups))
    limits = RateLimits(
        per_bot_per_second=args.per_bot,
        per_private_chat_per_second=args.per_chat,
        per_group_per_minute=args.per_group_minute,
    )
    process_start = psutil.Process().create_time()
    ours = await run_paperwire(args, chats, limits)
    fake = ours["fake"]
    per_chat, counts = ours["per_chat"], ours["counts"]
    total = len(chats) * per_chat
    sent = fake["sent"]
    window = max(fake["last_at"] - fake["first_at"], 1e-9)
    while_sending = (sent - 1) / window / args.per_bot if sent > 1 else 0.0
    from_start = sent / (fake["last_at"] - process_start) / args.per_bot
    cpu_ms = ours["cpu"] / max(sent, 1) * 1000
    rss_mb = resource.getrusage(
        resource.RUSAGE_CHILDREN if args.replicas > 1 else resource.RUSAGE_SELF
    ).ru_maxrss / 1024
    groups = sum(1 for chat in chats if chat.startswith("-"))
    print(f"chats                {len(chats)} ({len(chats) - groups} private, {groups} supergroups)")
    print(f"messages             {total} ({per_chat} a chat: 1 overview + {per_chat - 1} cards)")
    print(f"limits               {args.per_bot:g}/s per bot, {args.per_chat:g}/s per private chat, "
          f"{args.per_group_minute:g}/min per group (fake and paperwire alike)")
    print(f"database             {'PostgreSQL' if args.database else 'SQLite'}")
    print(f"worker               concurrency {args.concurrency}, poll {args.poll}s, {args.connections} connections"
          + (f", {args.replicas} replicas sharing one send budget in the database" if args.replicas > 1 else ""))
    print(f"sent                 {sent}   outbox {dict(sorted(counts.items()))}   "
          f"in order per chat: {'yes' if fake['in_order'] else 'NO'}")
    print(f"wall time            {ours['elapsed']:.2f} s sending   (floor at the per-bot limit: {total / args.per_bot:.2f} s)")
    print(f"rate while sending   {while_sending:.1%} of {args.per_bot:g}/s, first to last message   (target >= 95%)")
    print(f"rate from start      {from_start:.1%} of {args.per_bot:g}/s, process start to last message   (target >= 90%)")
    print(f"429 answers          {fake['too_many_requests']}   (target 0)   by limit: {fake['limited_by'] or '-'}")
    print(f"CPU per message      {cpu_ms:.2f} ms   (target < 5 ms)"
          + ("   (the replicas' and the fake's together)" if args.replicas > 1 or args.shared_budget else ""))
    print(f"peak RSS             {rss_mb:.0f} MB sender   (target < 200 MB); the fake: {fake['rss_mb']:.0f} MB")
    ok = (
        while_sending >= 0.95
        and from_start >= 0.90
        and cpu_ms < 5
        and fake["too_many_requests"] == 0
        and rss_mb < 200
        and counts.get("sent", 0) == total
        and fake["in_order"]
    )
    print(f"target met           {'yes' if ok else 'no'}")
    if args.profile:
        print(f"top costs of paperwire's sending (cProfile, {args.profile}):")
        print(top_costs(args.profile))
    if args.reference:
        ref = await run_reference(args, chats, ours["payloads"], limits)
        rfake = ref["fake"]
        rwindow = max(rfake["last_at"] - rfake["first_at"], 1e-9)
        print(f"reference            python-telegram-bot AIORateLimiter(overall {args.per_bot:g}/s, "
              f"group {args.per_group_minute:g}/min, max_retries {args.reference_retries}), all chats at once")
        print(f"  sent               {rfake['sent']}   failed {ref['failures']}   "
              f"in order per chat: {'yes' if rfake['in_order'] else 'NO'}")
        print(f"  rate while sending {(rfake['sent'] - 1) / rwindow / args.per_bot:.1%} of {args.per_bot:g}/s")
        print(f"  429 answers        {rfake['too_many_requests']}")
        print(f"  CPU per message    {ref['cpu'] / max(rfake['sent'], 1) * 1000:.2f} ms")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=20, help="how many of the chats are supergroups")
    parser.add_argument("--per-bot", type=int, default=100, help="messages/s per bot (both sides)")
    parser.add_argument("--per-chat", type=int, default=5, help="messages/s per private chat (both sides)")
    parser.add_argument("--per-group-minute", type=int, default=20, help="messages/min per group (both sides)")
    parser.add_argument("--concurrency", type=int,
                        help="rows a worker holds at once (default: what `publish` uses at --per-bot)")
    parser.add_argument("--poll", type=float, default=POLL_SECONDS,
                        help="worker poll interval, seconds (default: what `publish` uses)")
    parser.add_argument("--connections", type=int, default=FANOUT_CONNECTIONS, help="HTTP connections to the fake")
    parser.add_argument("--database", help="SQLAlchemy URL of a scratch database (its tables are dropped first)")
    parser.add_argument("--replicas", type=int, default=1, help="sender processes sharing the bot (PostgreSQL)")
    parser.add_argument("--shared-budget", action="store_true",
                        help="one replica, taking its slots from the budget in the database (PostgreSQL)")
    parser.add_argument("--profile", help="write a cProfile of paperwire's sending phase here and print its top costs")
    parser.add_argument("--no-reference", dest="reference", action="store_false",
                        help="skip python-telegram-bot's AIORateLimiter reference run")
    parser.add_argument("--reference-retries", type=int, default=5, help="AIORateLimiter max_retries")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.concurrency is None:
        args.concurrency = fanout_concurrency(args.per_bot * PACING_HEADROOM)
    if args.replicas > 1 and not (args.database or "").startswith("postgresql"):
        parser.error("--replicas needs --database postgresql+asyncpg://... (replicas share the budget through it)")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
