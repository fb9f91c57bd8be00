"""Delivery under faults: `paperwire publish` (a real process) to 300 Telegram chats and 50 Slack
channels on PostgreSQL, against the Telegram and Slack fakes, with one fault per scenario.

    python bench/faults.py [--database postgresql+asyncpg://postgres@127.0.0.1:5432/pw_faults]
                           [--cut-seconds 30] [--slow-seconds 20] [--only NAME ...]

Scenarios: the database cut (a TCP proxy switched off) during planning and during sending;
a full disk on SQLite (the process's file size limit lowered, then lifted); kill -9 during
planning, early and late in the sending; SIGTERM while every answer takes 3 s; one chat
whose answers take 20 s (longer than the 15 s answer timeout); a refused Telegram token.
After each, `publish` is run again until it has nothing left, and the fakes' records are
compared with the outbox:

- lost: planned messages that never arrived (paused ones are listed apart: they wait);
- unplanned: configured chats with no messages planned;
- duplicates: extra copies; "in doubt" when the send's answer never came (allowed, at most
  one each), "unexplained" otherwise (target 0);
- rerun: the wall time of each rerun, and the time its sends need at the configured rate,
  plus the answer timeout for each send to a chat that answers too slowly (target: within
  10 s of that).

The database URL names a scratch database: it is emptied before every scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from paperwire.bot.store.database import Database  # noqa: E402
from paperwire.bot.store import outbox  # noqa: E402
from paperwire.bot.store.schema import deliveries  # noqa: E402
from tests.conftest import reset_postgres  # noqa: E402
from tests.fakes.slack import SlackFake  # noqa: E402
from tests.fakes.tcp_proxy import TcpProxy  # noqa: E402
from tests.fakes.telegram import FakeTelegram, RateLimits  # noqa: E402

PUBLISH = ["publish", "--source", "sample", "--date", "2026-02-20"]
TELEGRAM_RATE = 300.0  # paperwire's per-bot rate here (scaled up; the fakes' limits are off)
SLACK_RATE = 300.0
ANSWER_TIMEOUT = 15.0  # paperwire's default Telegram answer timeout: a send to a slow chat waits this long


def telegram_chats(count: int) -> list[str]:
    """Private chats, with every tenth a supergroup."""
    return [str(-1_000_000_000_000 - n) if n % 10 == 5 else str(100_000 + n) for n in range(count)]


def slack_channels(count: int) -> list[str]:
    return [f"C{n:05d}" for n in range(count)]


@dataclass
class Outcome:
    name: str
    runs: list[tuple[int, float]] = field(default_factory=list)  # (exit code, seconds)
    rerun_sends: list[int] = field(default_factory=list)
    rerun_waits: list[float] = field(default_factory=list)  # seconds its sends to slow chats must wait
    lost: int = 0
    paused: int = 0
    unplanned: int = 0
    doubt_duplicates: int = 0
    unexplained_duplicates: int = 0
    over_two: int = 0
    note: str = ""


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.chats = telegram_chats(args.chats)
        self.channels = slack_channels(args.channels)
        self.folder = Path(tempfile.mkdtemp(prefix="paperwire-faults-"))

    # -- running paperwire -------------------------------------------------------------------

    def env(self, telegram: FakeTelegram, slack: SlackFake, database_url: str, **extra: str) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith("PAPERWIRE_")}
        quoted = ",".join(f'"{chat}"' for chat in self.chats)
        channels = ",".join(f'"{channel}"' for channel in self.channels)
        env |= {
            "PAPERWIRE_DATA_DIR": str(self.folder / "data"),
            "PAPERWIRE_DATABASE__URL": database_url,
            "PAPERWIRE_TELEGRAM__TOKEN": telegram.token,
            "PAPERWIRE_TELEGRAM__BASE_URL": telegram.base_url,
            "PAPERWIRE_TELEGRAM__CHATS": f"[{quoted}]",
            "PAPERWIRE_TELEGRAM__RATE_PER_BOT": str(TELEGRAM_RATE),
            "PAPERWIRE_TELEGRAM__RATE_PER_PRIVATE_CHAT": "50",
            "PAPERWIRE_TELEGRAM__RATE_PER_GROUP_PER_MINUTE": "3000",
            "PAPERWIRE_SLACK__BOT_TOKEN": slack.bot_token,
            "PAPERWIRE_SLACK__BASE_URL": slack.base_url,
            "PAPERWIRE_SLACK__CHANNELS": f"[{channels}]",
            "PAPERWIRE_SLACK__RATE_PER_CHANNEL": "50",
            "PAPERWIRE_SLACK__RATE_PER_WORKSPACE": str(SLACK_RATE),
            "PTB_TIMEDELTA": "1",
        }
        return env | extra

    async def publish(
        self, env: dict[str, str], fault: Callable[[asyncio.subprocess.Process], Awaitable[None]] | None = None
    ) -> tuple[int, float, str]:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "paperwire.bot.cli", *PUBLISH,
            cwd=REPO, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        injector = asyncio.create_task(fault(process)) if fault else None
        stdout, stderr = await process.communicate()
        if injector is not None:
            injector.cancel()
            await asyncio.gather(injector, return_exceptions=True)
        elapsed = time.perf_counter() - started
        if self.args.verbose:
            print(stderr.decode(errors="replace")[-3000:], file=sys.stderr)
        return process.returncode or 0, elapsed, stdout.decode(errors="replace")

    # -- the scenario frame ------------------------------------------------------------------

    async def scenario(
        self,
        name: str,
        *,
        sqlite: bool = False,
        fault: Callable[..., Awaitable[None]] | None = None,
        first_env: dict[str, str] | None = None,
        setup: Callable[[FakeTelegram, SlackFake], None] | None = None,
        heal: Callable[[FakeTelegram, SlackFake], None] | None = None,
    ) -> Outcome:
        outcome = Outcome(name)
        direct = f"sqlite+aiosqlite:///{self.folder / (name + '.sqlite3')}" if sqlite else self.args.database
        if not sqlite:
            await reset_postgres(direct)
        async with FakeTelegram(limits=RateLimits.off()) as telegram, SlackFake(
            rate_per_channel=float("inf"), rate_per_workspace=float("inf")
        ) as slack:
            if setup:
                setup(telegram, slack)
            proxy = None
            url = direct
            if not sqlite:
                host, port = "127.0.0.1", int(direct.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
                proxy = await TcpProxy(host, port).start()
                url = direct.replace(f":{port}/", f":{proxy.port}/")
            try:
                env = self.env(telegram, slack, url, **(first_env or {}))
                context = Context(self, telegram, slack, proxy, direct)
                code, seconds, _ = await self.publish(env, (lambda p: fault(context, p)) if fault else None)
                outcome.runs.append((code, seconds))
                if proxy is not None:
                    proxy.restore()
                if heal:
                    heal(telegram, slack)
                env = self.env(telegram, slack, url)
                for _ in range(3):  # rerun until nothing is left to send
                    if code == 0:
                        break
                    before = len(telegram.sent) + len(slack.posted)
                    slow_before = self.slow_sends(telegram)
                    code, seconds, out = await self.publish(env)
                    outcome.runs.append((code, seconds))
                    outcome.rerun_sends.append(len(telegram.sent) + len(slack.posted) - before)
                    outcome.rerun_waits.append((self.slow_sends(telegram) - slow_before) * ANSWER_TIMEOUT)
                    if "paused" in out and code == 1:
                        break  # what is left waits for its pause: not a rerun's business
                await self.measure(outcome, telegram, slack, direct)
            finally:
                if proxy is not None:
                    await proxy.stop()
        return outcome

    @staticmethod
    def slow_sends(telegram: FakeTelegram) -> int:
        """Sends to chats whose answers come after the answer timeout: each waits out the timeout."""
        return sum(len(telegram.sent_to(str(chat))) for chat in telegram.slow_chats)

    async def measure(self, outcome: Outcome, telegram: FakeTelegram, slack: SlackFake, url: str) -> None:
        db = Database(url)
        try:
            async with db.connect() as connection:
                # A row's message is its shared payload (or, for a notice, its own).
                query = select(deliveries, outbox.row_payload().label("message"))
                rows = [dict(row._mapping) for row in await connection.execute(query)]
        finally:
            await db.close()
        got: Counter[tuple[str, str, str]] = Counter()
        for message in telegram.sent:
            got[("telegram", str(message["chat_id"]), message["text"])] += 1
        for post in slack.posted:
            got[("slack", post["channel"], post["text"])] += 1
        planned_chats = {(row["platform"], row["chat_id"]) for row in rows}
        configured = {("telegram", chat) for chat in self.chats} | {("slack", channel) for channel in self.channels}
        outcome.unplanned = len(configured - planned_chats)
        for row in rows:
            copies = got[(row["platform"], row["chat_id"], (row["message"] or {}).get("text"))]
            if copies == 0:
                if row["status"] == "paused" or row["status"] == "pending" and "paused" in (row["last_error"] or ""):
                    outcome.paused += 1
                else:
                    outcome.lost += 1
            elif copies > 1:
                if row["in_doubt"]:
                    outcome.doubt_duplicates += copies - 1
                else:
                    outcome.unexplained_duplicates += copies - 1
                outcome.over_two += copies > 2


@dataclass
class Context:
    bench: Bench
    telegram: FakeTelegram
    slack: SlackFake
    proxy: TcpProxy | None
    direct_url: str

    def sent(self) -> int:
        return len(self.telegram.sent) + len(self.slack.posted)

    async def until_sent(self, count: int, process: asyncio.subprocess.Process) -> bool:
        while self.sent() < count:
            if process.returncode is not None:
                return False
            await asyncio.sleep(0.01)
        return True

    async def until_planning(self, process: asyncio.subprocess.Process, rows: int = 1) -> bool:
        engine = create_async_engine(self.direct_url)
        try:
            while process.returncode is None:
                try:
                    async with engine.connect() as connection:
                        count = (await connection.execute(select(func.count()).select_from(deliveries))).scalar_one()
                except Exception:
                    count = 0
                if count >= rows:
                    return True
                await asyncio.sleep(0.05)
        finally:
            await engine.dispose()
        return False


# -- the faults --------------------------------------------------------------------------------


def database_cut(when: str, seconds: float) -> Callable[..., Awaitable[None]]:
    async def fault(ctx: Context, process: asyncio.subprocess.Process) -> None:
        ready = await (ctx.until_planning(process, rows=700) if when == "planning" else ctx.until_sent(600, process))
        if ready and ctx.proxy is not None:
            ctx.proxy.cut()
            await asyncio.sleep(seconds)
            ctx.proxy.restore()

    return fault


def kill_at(when: str) -> Callable[..., Awaitable[None]]:
    async def fault(ctx: Context, process: asyncio.subprocess.Process) -> None:
        total = (len(ctx.bench.chats) + len(ctx.bench.channels)) * 7
        if when == "planning":
            ready = await ctx.until_planning(process, rows=total // 2)
        else:
            ready = await ctx.until_sent(150 if when == "early" else int(total * 0.8), process)
        if ready:
            process.kill()

    return fault


def sigterm_with_slow_answers(answer_seconds: float) -> Callable[..., Awaitable[None]]:
    async def fault(ctx: Context, process: asyncio.subprocess.Process) -> None:
        ctx.telegram.delay = answer_seconds
        ctx.slack.delay = answer_seconds
        if await ctx.until_sent(300, process):
            process.send_signal(signal.SIGTERM)

    return fault


def full_disk(seconds: float) -> Callable[..., Awaitable[None]]:
    """The SQLite file may not grow (RLIMIT_FSIZE of the process), then may again."""

    async def fault(ctx: Context, process: asyncio.subprocess.Process) -> None:
        if not await ctx.until_sent(600, process):
            return
        path = Path(ctx.direct_url.split("///", 1)[1])
        size = max(path.stat().st_size, Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0)
        _, hard = resource.prlimit(process.pid, resource.RLIMIT_FSIZE)
        try:
            resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (size, hard))
            await asyncio.sleep(seconds)
            resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (hard, hard))
        except (ProcessLookupError, PermissionError, OSError):
            pass

    return fault


async def run(args: argparse.Namespace) -> int:
    bench = Bench(args)
    total = (len(bench.chats) + len(bench.channels)) * 7
    slow_chat = bench.chats[0]

    def slow(telegram: FakeTelegram, _: SlackFake) -> None:
        telegram.slow_chats[int(slow_chat)] = args.slow_seconds

    def fix_token(telegram: FakeTelegram, _: SlackFake) -> None:
        pass  # the rerun's settings carry the right token again

    def fast(telegram: FakeTelegram, slack: SlackFake) -> None:
        telegram.delay = slack.delay = 0.0

    scenarios: dict[str, Callable[[], Awaitable[Outcome]]] = {
        "db-cut-planning": lambda: bench.scenario("db-cut-planning", fault=database_cut("planning", args.cut_seconds)),
        "db-cut-sending": lambda: bench.scenario("db-cut-sending", fault=database_cut("sending", args.cut_seconds)),
        "full-disk-sqlite": lambda: bench.scenario("full-disk-sqlite", sqlite=True, fault=full_disk(10.0)),
        "kill9-planning": lambda: bench.scenario("kill9-planning", fault=kill_at("planning")),
        "kill9-early": lambda: bench.scenario("kill9-early", fault=kill_at("early")),
        "kill9-late": lambda: bench.scenario("kill9-late", fault=kill_at("late")),
        "sigterm-slow-answers": lambda: bench.scenario(
            "sigterm-slow-answers", fault=sigterm_with_slow_answers(3.0), heal=fast
        ),
        "slow-chat": lambda: bench.scenario("slow-chat", setup=slow),
        "bad-telegram-token": lambda: bench.scenario(
            "bad-telegram-token", first_env={"PAPERWIRE_TELEGRAM__TOKEN": "42:not-the-token"}, heal=fix_token
        ),
    }
    chosen = args.only or list(scenarios)
    print(f"{len(bench.chats)} Telegram chats + {len(bench.channels)} Slack channels, 7 messages each = {total} "
          f"messages; database {'PostgreSQL' if args.database.startswith('postgresql') else args.database} "
          f"(full-disk-sqlite: SQLite); rates {TELEGRAM_RATE:g}/s Telegram, {SLACK_RATE:g}/s Slack")
    print(f"{'scenario':22} {'runs (exit, s)':44} {'lost':>4} {'paused':>6} {'unplanned':>9} "
          f"{'dup in doubt':>12} {'dup unexplained':>15} {'>2 copies':>9}  rerun vs its sending time")
    ok = True
    for name in chosen:
        outcome = await scenarios[name]()
        runs = " ".join(f"({code}, {seconds:.1f})" for code, seconds in outcome.runs)
        reruns = []
        for (code, seconds), sends, waits in zip(outcome.runs[1:], outcome.rerun_sends, outcome.rerun_waits,
                                                 strict=False):
            floor = sends / TELEGRAM_RATE + waits
            late = seconds - floor
            reruns.append(f"{seconds:.1f}s for {sends} sends (floor {floor:.1f}s"
                          + (f" with {waits:.0f}s of answer timeouts" if waits else "") + f", +{late:.1f}s)")
            ok &= late <= 10.0
        print(f"{name:22} {runs:44} {outcome.lost:>4} {outcome.paused:>6} {outcome.unplanned:>9} "
              f"{outcome.doubt_duplicates:>12} {outcome.unexplained_duplicates:>15} {outcome.over_two:>9}  "
              f"{'; '.join(reruns) or '-'}")
        ok &= outcome.lost == 0 and outcome.unplanned == 0 and outcome.unexplained_duplicates == 0
        ok &= outcome.over_two == 0
    print("target met (0 lost, 0 unplanned, duplicates only in doubt and at most one each, every rerun within 10 s "
          f"of its sending time): {'yes' if ok else 'no'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/pw_faults",
                        help="a scratch PostgreSQL database (emptied before every scenario)")
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--cut-seconds", type=float, default=30.0)
    parser.add_argument("--slow-seconds", type=float, default=20.0)
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each run's log tail")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
