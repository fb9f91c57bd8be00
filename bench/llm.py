"""Benchmark: the digest's LLM summaries, through the real pipeline, against the fake server.

Target (issue 7): with 2 s per call, 6 papers summarized in under 5 s wall; a rebuild
makes 0 calls (the cards come from the database cache); tokens per digest printed.

    .venv/bin/python bench/llm.py [--latency 2] [--concurrency 6] [--language en|zh]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paperwire.bot.app import open_services  # noqa: E402
from paperwire.bot.sample import SAMPLE_DAY, SAMPLE_DIR  # noqa: E402
from paperwire.bot.sources.files import read_file  # noqa: E402
from paperwire.config.settings import load_settings  # noqa: E402
from tests.fakes.llm import FakeLLM  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    async with FakeLLM(latency=args.latency) as fake:
        with tempfile.TemporaryDirectory() as scratch:
            settings = load_settings(
                None,
                data_dir=Path(scratch),
                llm={
                    "base_url": fake.base_url,
                    "api_key": "bench",
                    "model": "fake-model",
                    "concurrency": args.concurrency,
                    "max_retries": 0,
                },
            )
            for label in ("build", "rebuild"):
                # A new set of services each time, as a second `paperwire digest` would have.
                async with open_services(settings) as services:
                    if label == "build":
                        await services.pipeline.ingest(read_file(SAMPLE_DIR / f"{SAMPLE_DAY}.json"), "sample")
                    calls_before = fake.calls
                    started = time.perf_counter()
                    digest = await services.pipeline.build(SAMPLE_DAY, args.language)
                    wall = time.perf_counter() - started
                assert digest is not None
                stats = digest.stats
                print(
                    f"{label:8s} papers={len(digest.entries)} wall={wall:.2f}s calls={fake.calls - calls_before} "
                    f"llm_cards={stats['llm_cards']} extractive_cards={stats['extractive_cards']} "
                    f"prompt_tokens={stats['prompt_tokens']} completion_tokens={stats['completion_tokens']} "
                    f"claims_checked={stats['claims_checked']} claims_dropped={stats['claims_dropped']} "
                    f"run_card_calls={stats['run']['card_calls']} "
                    f"run_tokens={stats['run']['card_prompt_tokens'] + stats['run']['card_completion_tokens']}"
                )
    print(f"server   max_in_flight={fake.max_in_flight} latency={args.latency}s concurrency={args.concurrency}")
    print("(prompt/completion tokens are the digest's first-build figures; run_* is what this build spent)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds the fake takes per call")
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--language", choices=["en", "zh"], default="en")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
