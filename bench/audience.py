"""Benchmark a large audience: planning a slot for 50,000 chats, its first message, the fan-out
with the whole day behind it, and what one outbox claim costs as the backlog grows.

    python bench/audience.py [--chats 50000] [--send-seconds 60] [--per-bot 100]
                             [--database URL] [--claims-only | --no-claims]

1. Slot: the shipped sample day (2026-02-20) is stored and its English digest built;
   `--chats` chats are registered as configured Telegram chats (in bulk, timed); a real
   DeliveryWorker runs against the fake Bot API (tests/fakes/telegram.py, in a child process)
   while `deliver_slot` plans the 09:00 slot the way the scheduler fires it. Printed: planning
   time and the process's peak RSS after it (targets < 10 s, < 300 MB), the first message's
   delay after the slot fired (target < 2 s), and the rate while sending (first to last
   message the fake accepted, target >= 95% of `--per-bot`) over the first `--send-seconds`
   of the fan-out, with every other chat's messages still queued behind them.
2. Claims: a fresh outbox with 1k, 10k and 50k chats x 7 messages planned (7k, 70k and 350k
   open rows); the time of one claim of 100 rows and of recording 100 sends, median and p95
   of 30 each (target: the same at every size).

`--database URL` names a scratch PostgreSQL database: its tables are dropped first.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from paperwire.bot.app import delivery_worker, open_services  # noqa: E402
from paperwire.bot.delivery.publish import register_configured_chats  # noqa: E402
from paperwire.bot.delivery.telegram import FANOUT_CONNECTIONS, TelegramSender, make_bot, render_payloads  # noqa: E402
from paperwire.bot.jobs import Slot, deliver_slot  # noqa: E402
from paperwire.bot.sources.files import read_file  # noqa: E402
from paperwire.bot.store import outbox  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.config.settings import ChatTarget, Settings  # noqa: E402
from fanout import LIST_DAY, SAMPLE, fake_in_child, plan_sample_digest  # noqa: E402
from tests.conftest import reset_postgres  # noqa: E402
from tests.fakes.telegram import FakeTelegram, RateLimits  # noqa: E402

SLOT = Slot("09:00", "UTC")
# The sample list day is published the next day; its 09:00 slot.
OCCURRENCE = datetime(2026, 2, 21, 9, 0, tzinfo=UTC)
FIRST_CHAT = 100_000


def serve_fake(pipe: Connection, limits: RateLimits) -> None:
    """In the child process: serve the fake until told to stop, then report what it saw."""

    async def serve() -> None:
        async with FakeTelegram(limits=limits) as fake:
            stalls = [0.0]
            watching = asyncio.create_task(watch_loop(stalls))
            pipe.send((fake.base_url, fake.token))
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            watching.cancel()
            times = sorted(message["at"] for message in fake.sent)
            pipe.send(
                {
                    "sent": len(fake.sent),
                    "first_at": times[0] if times else 0.0,
                    "last_at": times[-1] if times else 0.0,
                    "too_many_requests": fake.too_many_requests,
                    "limited_by": dict(fake.limited_by),
                    "stall": stalls[0],
                    "limited_at": [at + time.time() - fake.clock() - times[0] for at in fake.rate_limited_at]
                    if times else [],
                }
            )

    gc.disable()  # see telegram_fanout.py: the fake's own pauses are not Telegram's
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(serve())


async def watch_loop(stalls: list[float]) -> None:
    """Keep the longest time the event loop answered late in the last element of `stalls`."""
    tick = 0.005
    while True:
        started = time.perf_counter()
        await asyncio.sleep(tick)
        stalls[-1] = max(stalls[-1], time.perf_counter() - started - tick)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def slot_phase(args: argparse.Namespace, url: str, folder: Path) -> None:
    chats = [str(FIRST_CHAT + number) for number in range(args.chats)]
    limits = RateLimits(per_bot_per_second=args.per_bot, per_private_chat_per_second=args.per_chat)
    with fake_in_child(serve_fake, limits) as child:
        base_url, token = child.hello
        settings = Settings(
            data_dir=folder,
            database={"url": url},
            telegram={
                "token": token,
                "base_url": base_url,
                "rate_per_bot": args.per_bot,
                "rate_per_private_chat": args.per_chat,
            },
        )
        async with open_services(settings) as services:
            await services.pipeline.ingest(read_file(SAMPLE, LIST_DAY), "sample")
            assert await services.pipeline.build(LIST_DAY, "en") is not None
            started = time.perf_counter()
            await register_configured_chats(services.db, {"telegram": [ChatTarget(id=chat) for chat in chats]})
            registered = time.perf_counter() - started
            async with make_bot(settings.telegram, connections=args.connections) as bot:
                sender = TelegramSender(bot, settings.telegram)
                worker = delivery_worker(services, sender)  # as `publish` makes it: the shared budget
                stop = asyncio.Event()
                sending = asyncio.create_task(worker.run(stop))
                stalls = [0.0, 0.0]  # the event loop's longest stall while planning, and after
                watching = asyncio.create_task(watch_loop(stalls))
                fired_at = time.time()
                started = time.perf_counter()
                result = await deliver_slot(
                    services, SLOT, occurrence=OCCURRENCE, platforms=["telegram"], wake=worker.wake
                )
                planned = time.perf_counter() - started
                rss = peak_rss_mb()
                stalls.append(0.0)
                await asyncio.sleep(max(args.send_seconds - planned, 0))
                stop.set()
                await sending
                watching.cancel()
            async with services.db.connect() as connection:
                counts = await outbox.status_counts(connection)
    fake = child.report
    window = max(fake["last_at"] - fake["first_at"], 1e-9)
    rate = (fake["sent"] - 1) / window / args.per_bot if fake["sent"] > 1 else 0.0
    first = fake["first_at"] - fired_at if fake["sent"] else float("nan")
    print(f"registering chats    {args.chats} configured chats in {registered:.2f} s")
    print(f"planning             {len(result.planned)} chats, {result.messages} messages in {planned:.2f} s   "
          f"(target < 10 s)")
    print(f"peak RSS             {rss:.0f} MB after planning   (target < 300 MB)")
    print(f"first message        {first:.2f} s after the slot fired   (target < 2 s)")
    print(f"fan-out              {fake['sent']} messages in the first {args.send_seconds:g} s; "
          f"{rate:.1%} of {args.per_bot:g}/s first to last   (target >= 95%); 429 answers {fake['too_many_requests']} "
          f"(by limit: {fake['limited_by'] or '-'}; at {', '.join(f'{at:.1f}' for at in fake['limited_at']) or '-'} s "
          f"after the first message)")
    print(f"event loop           longest stall {stalls[1] * 1000:.0f} ms while planning, "
          f"{stalls[-1] * 1000:.0f} ms after (a send held that long bunches with the next ones); "
          f"the fake's: {fake['stall'] * 1000:.0f} ms (it stamps what it reads late as arriving together)")
    print(f"outbox after         {dict(sorted(counts.items()))}")


async def claim_phase(args: argparse.Namespace, url: str) -> None:
    if args.database:
        await reset_postgres(url)
    db = Database(url)
    await db.start()
    try:
        digest_ids, _, payloads = await plan_sample_digest(db, "telegram", [], render_payloads)
        async with db.begin() as connection:
            payload_ids = await outbox.store_payloads(connection, payloads)
        planned = 0
        for chats in (1_000, 10_000, 50_000):
            async with db.begin() as connection:
                await outbox.plan_chats(
                    connection,
                    digest_id=digest_ids[0],
                    platform="telegram",
                    chats=[(str(FIRST_CHAT + number), payload_ids) for number in range(planned, chats)],
                )
            planned = chats
            if db.is_sqlite:
                await db.refresh_statistics()
            else:
                async with db.begin() as connection:
                    await connection.execute(text("ANALYZE deliveries"))
            async with db.connect() as connection:
                open_rows = await outbox.open_count(connection)
            claims, records = [], []
            for _ in range(30):
                started = time.perf_counter()
                async with db.begin() as connection:
                    claimed = await outbox.claim_due(
                        connection, platform="telegram", worker="bench", limit=100,
                        now=datetime.now(UTC) + timedelta(hours=1),
                    )
                claims.append(time.perf_counter() - started)
                started = time.perf_counter()
                async with db.begin() as connection:
                    await outbox.record_sent(
                        connection, [outbox.SentMessage(item, "1", datetime.now(UTC)) for item in claimed]
                    )
                records.append(time.perf_counter() - started)
            print(f"claim at {open_rows:>7} open rows   claim of 100: median {ms(claims, 50)} p95 {ms(claims, 95)}   "
                  f"recording 100 sends: median {ms(records, 50)} p95 {ms(records, 95)}")
    finally:
        await db.close()


def ms(values: list[float], percentile: int) -> str:
    ordered = sorted(values)
    value = ordered[min(len(ordered) - 1, int(len(ordered) * percentile / 100))]
    return f"{value * 1000:6.1f} ms"


async def run(args: argparse.Namespace) -> int:
    print(f"database             {'PostgreSQL' if args.database else 'SQLite'}")
    with tempfile.TemporaryDirectory() as folder:
        if not args.claims_only:
            url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'slot.sqlite3'}"
            if args.database:
                await reset_postgres(url)
            await slot_phase(args, url, Path(folder))
        if args.claims:
            url = args.database or f"sqlite+aiosqlite:///{Path(folder) / 'claims.sqlite3'}"
            await claim_phase(args, url)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chats", type=int, default=50_000)
    parser.add_argument("--send-seconds", type=float, default=60.0, help="how long the fan-out runs")
    parser.add_argument("--per-bot", type=int, default=100, help="messages/s per bot (both sides)")
    parser.add_argument("--per-chat", type=int, default=5, help="messages/s per private chat (both sides)")
    parser.add_argument("--connections", type=int, default=FANOUT_CONNECTIONS)
    parser.add_argument("--database", help="SQLAlchemy URL of a scratch database (its tables are dropped first)")
    parser.add_argument("--claims-only", action="store_true", help="only the claim timings")
    parser.add_argument("--no-claims", dest="claims", action="store_false", help="skip the claim timings")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
