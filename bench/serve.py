"""`paperwire serve`: start-up time, idle memory with the archive imported, and how soon a
scheduled delivery to 100 subscriptions starts.

    python bench/serve.py [--data DIR]      (default: ../shared/data/hf-daily)

Targets (issue 6):
- from process start to a healthy /healthz: under 3 s;
- idle RSS with the whole archive imported: under 150 MB;
- a scheduled delivery to 100 subscriptions starts within 1 s of its time.

Telegram, Slack and the Hugging Face API are the project's fakes, served from this process
on local ports; nothing goes to the network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperwire.bot.store import subscriptions as subscription_store  # noqa: E402
from paperwire.bot.store.database import Database  # noqa: E402
from tests.fakes.hf import FakeHF  # noqa: E402
from tests.fakes.slack import SlackFake  # noqa: E402
from tests.fakes.telegram import FakeTelegram, RateLimits  # noqa: E402
from tests.service.conftest import day_items  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hf-daily"
PAPERWIRE = Path(sys.executable).with_name("paperwire")
SUBSCRIPTIONS = 100
SETTLE_SECONDS = 8.0


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(data_dir: Path, hf_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAPERWIRE_")}
    return env | {
        "PAPERWIRE_DATA_DIR": str(data_dir),
        "PAPERWIRE_SOURCES__HF_BASE_URL": hf_url,
        "PAPERWIRE_SOURCES__MAX_RETRIES": "0",
        "PTB_TIMEDELTA": "1",
        **extra,
    }


class Serve:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    async def start_until_healthy(self, timeout: float = 30.0) -> float:
        """Seconds from process start to the first 200 from /healthz."""
        with self.log.open("ab") as log:
            self.started = time.perf_counter()
            self.process = subprocess.Popen(
                [str(PAPERWIRE), "serve", "--port", str(self.port)], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        url = f"http://127.0.0.1:{self.port}/healthz"
        async with aiohttp.ClientSession() as session:
            while time.perf_counter() - self.started < timeout:
                if self.process.poll() is not None:
                    raise RuntimeError(f"serve exited:\n{self.log.read_text()}")
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            return time.perf_counter() - self.started
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.01)
        raise RuntimeError(f"serve was not healthy within {timeout} s:\n{self.log.read_text()}")

    def rss_mb(self) -> float:
        assert self.process is not None
        return psutil.Process(self.process.pid).memory_info().rss / 1e6

    async def stop(self) -> tuple[int, float]:
        assert self.process is not None
        started = time.perf_counter()
        self.process.terminate()
        while self.process.poll() is None:
            await asyncio.sleep(0.02)
        return self.process.returncode, time.perf_counter() - started


def import_archive(data: Path, data_dir: Path) -> float:
    started = time.perf_counter()
    env = environment(data_dir, "http://127.0.0.1:9")
    result = subprocess.run(
        [str(PAPERWIRE), "import", str(data), "--quiet"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return time.perf_counter() - started


async def startup_and_memory(data: Path | None, scratch: Path, hf: FakeHF) -> None:
    archive_dir = scratch / "archive"
    if data is not None:
        seconds = import_archive(data, archive_dir)
        print(f"import:            {len(list(data.glob('*.json')))} days in {seconds:.1f} s (setup, not a target)")
    else:
        print("import:            no archive (pass --data DIR); measuring an empty store")
    times = []
    for run in range(3):
        serve = Serve(environment(archive_dir, hf.base_url), scratch / f"startup{run}.log")
        times.append(await serve.start_until_healthy())
        if run == 2:
            await asyncio.sleep(SETTLE_SECONDS)
            rss = serve.rss_mb()
        code, stop_seconds = await serve.stop()
    print(f"start to healthy:  {' / '.join(f'{t:.2f}' for t in times)} s, median {statistics.median(times):.2f} s   (target < 3 s)")
    store = "archive imported" if data is not None else "empty store"
    print(f"idle RSS:          {rss:.0f} MB after {SETTLE_SECONDS:.0f} s, {store}, no tokens   (target < 150 MB)")
    print(f"SIGTERM to exit:   {stop_seconds:.2f} s (exit code {code})   (limit 10 s)")


async def scheduled_delivery(scratch: Path, hf: FakeHF) -> None:
    data_dir = scratch / "delivery"
    yesterday = datetime.now(UTC) - timedelta(days=1)
    hf.days[yesterday.date()] = day_items(yesterday.date())
    # The next whole minute at least 15 s away: serve starts and catches up before it.
    now = datetime.now(UTC)
    slot = (now + timedelta(seconds=15)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    chats = [str(900_000 + n) for n in range(SUBSCRIPTIONS)]
    db = Database(f"sqlite+aiosqlite:///{data_dir / 'paperwire.sqlite3'}")
    await db.start()
    try:
        async with db.begin() as connection:
            for chat in chats:
                await subscription_store.upsert_subscription(
                    connection, "telegram", chat, delivery_time=slot.strftime("%H:%M"), timezone="UTC", language="en",
                    now=now - timedelta(hours=1),
                )  # fmt: skip
    finally:
        await db.close()
    async with FakeTelegram(limits=RateLimits.off(), clock=time.time) as telegram, SlackFake() as slack:
        env = environment(
            data_dir,
            hf.base_url,
            PAPERWIRE_TELEGRAM__TOKEN=telegram.token,
            PAPERWIRE_TELEGRAM__BASE_URL=telegram.base_url,
            PAPERWIRE_SLACK__BOT_TOKEN=slack.bot_token,
            PAPERWIRE_SLACK__APP_TOKEN=slack.app_token,
            PAPERWIRE_SLACK__BASE_URL=slack.base_url,
            PAPERWIRE_SCHEDULE__BUILD_TIME="00:00",
            PAPERWIRE_SCHEDULE__DAYS=json.dumps(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        )
        serve = Serve(env, scratch / "delivery.log")
        healthy = await serve.start_until_healthy()
        print(f"delivery run:      {SUBSCRIPTIONS} subscriptions at {slot:%H:%M} UTC; serve healthy in {healthy:.2f} s, "
              f"waiting {max((slot - datetime.now(UTC)).total_seconds(), 0):.0f} s for the slot")  # fmt: skip
        instant = slot.timestamp()
        deadline = time.time() + 180
        while time.time() < deadline and not (telegram.sent and time.time() - telegram.sent[-1]["time"] > 3.0):
            await asyncio.sleep(0.1)  # until the fan-out has been quiet for 3 s
        await asyncio.sleep(SETTLE_SECONDS)
        rss = serve.rss_mb()
        await serve.stop()
    digest_messages = [m for m in telegram.sent if str(m["chat"]) in chats]
    if not digest_messages:
        print(f"no message was sent; see {scratch / 'delivery.log'}")
        return
    first = min(m["time"] for m in digest_messages) - instant
    overviews = {}
    for message in digest_messages:
        overviews.setdefault(message["chat"], message["time"])
    last_overview = max(overviews.values()) - instant
    last = max(m["time"] for m in digest_messages) - instant
    print(f"first sendMessage: {first:.3f} s after the scheduled instant   (target < 1 s)")
    print(f"all {len(overviews)} overviews:  {last_overview:.2f} s after it")
    print(f"all {len(digest_messages)} messages:  {last:.2f} s after it (paced: 30/s per bot, 1/s per private chat)")
    print(f"idle RSS:          {rss:.0f} MB with Telegram and Slack (Socket Mode) on, after the fan-out")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of YYYY-MM-DD.json (default: %(default)s)")
    args = parser.parse_args()
    data = args.data if args.data.is_dir() else None
    if data is None:
        print(f"no data folder at {args.data}; the memory figure is for an empty store", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        async with FakeHF() as hf:
            await startup_and_memory(data, scratch, hf)
            await scheduled_delivery(scratch, hf)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
