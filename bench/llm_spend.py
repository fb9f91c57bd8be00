"""Benchmark: LLM calls per step when every card the model writes fails the grounding check.

Target (issue 12): after the first build of each language, a rebuild, `today` and `paper`
make 0 calls (the rejected cards are cached like any card). Prints the calls and tokens of
each step, as the fake server counted them, and the stats of the rebuild.

    .venv/bin/python bench/llm_spend.py [--mode hallucinated_core] [--judge]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paperwire.bot.app import open_services  # noqa: E402
from paperwire.bot.sample import SAMPLE_DAY, SAMPLE_DIR  # noqa: E402
from paperwire.bot.sources.files import read_file  # noqa: E402
from paperwire.config.settings import load_settings  # noqa: E402
from paperwire.handlers.core import CommandContext, CommandCore  # noqa: E402
from tests.fakes.llm import MODES, FakeLLM  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    async with FakeLLM(default_mode=args.mode) as fake:
        with tempfile.TemporaryDirectory() as scratch:
            settings = load_settings(
                None,
                data_dir=Path(scratch),
                llm={"base_url": fake.base_url, "api_key": "bench", "model": "fake-model", "max_retries": 0,
                     "judge": args.judge},
            )
            papers = read_file(SAMPLE_DIR / f"{SAMPLE_DAY}.json").papers
            picked: list[str] = []

            async def step(name: str, action) -> None:
                calls, tokens = fake.calls, fake.prompt_tokens + fake.completion_tokens
                # A new set of services each time, as a new `paperwire` process would have.
                async with open_services(settings) as services:
                    extra = await action(services)
                print(f"{name:22s} calls={fake.calls - calls:3d} tokens={fake.prompt_tokens + fake.completion_tokens - tokens:6d}"
                      + (f"  {extra}" if extra else ""))

            async def ingest(services) -> str:
                await services.pipeline.ingest(read_file(SAMPLE_DIR / f"{SAMPLE_DAY}.json"), "sample")
                return ""

            def build(language: str):
                async def run(services) -> str:
                    digest = await services.pipeline.build(SAMPLE_DAY, language)
                    picked[:] = [entry.paper.arxiv_id for entry in digest.entries]
                    stats = digest.stats
                    methods = f"llm_cards={stats['llm_cards']} extractive_cards={stats['extractive_cards']}"
                    return f"{methods} run={json.dumps(stats['run'])} stored={json.dumps(stats['stored'])}"
                return run

            def ask(line: str, language: str):
                async def run(services) -> str:
                    core = CommandCore.from_services(services)
                    context = CommandContext(platform="cli", chat_id="bench", user_id="bench", chat_kind="cli",
                                             is_admin=True, language=language)
                    view = await core.handle(line() if callable(line) else line, context)
                    return type(view).__name__
                return run

            await step("ingest", ingest)
            for language in ("en", "zh"):
                await step(f"build {language}", build(language))
            for language in ("en", "zh"):
                await step(f"rebuild {language}", build(language))
            for language in ("en", "zh"):
                await step(f"today {language}", ask("today", language))
            for language in ("en", "zh"):
                await step(f"paper (picked) {language}", ask(lambda: f"paper {picked[0]}", language))
            outside = next(paper.arxiv_id for paper in papers if paper.arxiv_id not in picked)
            await step("paper (new) en", ask(f"paper {outside}", "en"))
            await step("paper (new) en again", ask(f"paper {outside}", "en"))
    print(f"mode={args.mode} judge={args.judge} total calls={fake.calls}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="hallucinated_core", choices=MODES, help="how the fake model answers")
    parser.add_argument("--judge", action="store_true", help="turn the curation judge on")
    logging.basicConfig(level=logging.ERROR)  # the fallbacks' warnings are the point here, not news
    asyncio.run(main(parser.parse_args()))
