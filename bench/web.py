"""Benchmark the web archive and the feeds on the whole saved archive.

    python bench/web.py [--data DIR] [--days N] [--requests N]

Imports DATA_DIR (default ../shared/data/hf-daily next to the repository) into a temporary
SQLite database with `paperwire import`, builds the digests of the last N list days (60),
then measures in-process, through the real aiohttp routes: `/digests/<day>` for random
built days, `/papers.xml` and `/feed.xml`; and `paperwire site --out DIR` as a user runs it.
Targets: `/digests/<day>` p99 under 20 ms, `/papers.xml` p99 under 50 ms, `site` under 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.bot.app import archive_pages, open_services  # noqa: E402
from paperwire.bot.archive.routes import add_archive_routes  # noqa: E402
from paperwire.bot.store import papers as paper_store  # noqa: E402
from paperwire.config.settings import Settings  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "hf-daily"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def line(name: str, timings: list[float]) -> str:
    return (
        f"{name:<22} n={len(timings):<4} p50 {percentile(timings, 0.5):6.2f} ms   "
        f"p99 {percentile(timings, 0.99):6.2f} ms   max {max(timings):6.2f} ms"
    )


def paperwire(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "paperwire"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=True)


async def measure(data_dir: Path, digest_days: int, requests: int) -> list[str]:
    settings = Settings(data_dir=data_dir)
    async with open_services(settings) as services:
        async with services.db.connect() as connection:
            days = (await paper_store.known_list_days(connection))[-digest_days:]
        started = time.perf_counter()
        for day in days:
            await services.pipeline.build(day, "en")
        built = time.perf_counter() - started
        report = [f"built {len(days)} digests ({days[0]} to {days[-1]}) in {built:.1f} s"]
        app = web.Application()
        add_archive_routes(app, archive_pages(services), default_language="en")
        client = TestClient(TestServer(app))
        await client.start_server()
        rng = random.Random(7)
        try:
            for name, paths in (
                ("/digests/<day>", [f"/digests/{rng.choice(days)}" for _ in range(requests)]),
                ("/digests/<day>?lang=zh", [f"/digests/{rng.choice(days)}?lang=zh" for _ in range(requests)]),
                ("/digests/", ["/digests/"] * (requests // 4)),
                ("/papers.xml", ["/papers.xml"] * requests),
                ("/papers.xml?topic=", [f"/papers.xml?topic={rng.choice(['agentic-rl', 'efficient-llm', 'vla'])}" for _ in range(requests)]),
                ("/feed.xml", ["/feed.xml"] * (requests // 4)),
            ):
                timings = []
                for path in paths:
                    began = time.perf_counter()
                    response = await client.get(path)
                    await response.read()
                    timings.append((time.perf_counter() - began) * 1000)
                    assert response.status == 200, (path, response.status)
                report.append(line(name, timings))
        finally:
            await client.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no data folder at {args.data}; pass --data DIR")
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-web-") as tmp:
        env = {**os.environ, "PAPERWIRE_DATA_DIR": str(Path(tmp) / "data"), "PTB_TIMEDELTA": "1"}
        env = {key: value for key, value in env.items() if not key.startswith("PAPERWIRE_") or key == "PAPERWIRE_DATA_DIR"}
        started = time.perf_counter()
        paperwire("import", str(args.data), env=env)
        print(f"imported {args.data} in {time.perf_counter() - started:.1f} s")
        for text in asyncio.run(measure(Path(tmp) / "data", args.days, args.requests)):
            print(text)
        started = time.perf_counter()
        result = paperwire("site", "--out", str(Path(tmp) / "site"), env=env)
        elapsed = time.perf_counter() - started
        files = sum(1 for path in (Path(tmp) / "site").rglob("*") if path.is_file())
        print(f"paperwire site: {elapsed:.2f} s ({result.stdout.strip()}; {files} files)")


if __name__ == "__main__":
    main()
