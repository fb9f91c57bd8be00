"""Benchmark: LLM summaries against the fake server with a fixed latency per call.

Target (issue 7): with 2 s per call, 6 papers summarized in under 5 s wall; a rebuild
makes 0 calls; tokens per digest printed. The rebuild here uses an in-memory cache keyed
like the real one (paper, language, model, prompt version); the real cache is the
database, reached through the pipeline.

    .venv/bin/python bench/llm.py [--latency 2] [--papers 6] [--concurrency 6] [--language en]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import replace
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.models import Card, Language, Paper  # noqa: E402
from bot.summarize.budget import TokenBudget  # noqa: E402
from bot.summarize.extractive import ExtractiveSummarizer  # noqa: E402
from bot.summarize.llm import LLMSummarizer  # noqa: E402
from tests.fakes.llm import FakeLLM, invented_papers  # noqa: E402

CacheKey = tuple[str, str, str, str]


async def build(
    summarizer: LLMSummarizer, papers: list[Paper], language: Language, cache: dict[CacheKey, Card], budget: TokenBudget
) -> dict[str, int]:
    """One digest's summaries: cached cards are reused, the rest summarized concurrently."""
    digest = summarizer.with_budget(budget)
    model, prompt_version = digest.cache_key
    missing = [paper for paper in papers if (paper.arxiv_id, language, model, prompt_version) not in cache]
    results = await asyncio.gather(*(digest.summarize(paper, language) for paper in missing))
    for paper, result in zip(missing, results, strict=True):
        if result.card.method == "llm":
            cache[(paper.arxiv_id, language, model, prompt_version)] = result.card
    return {
        "llm": sum(1 for result in results if result.card.method == "llm"),
        "extractive": sum(1 for result in results if result.card.method != "llm"),
        "cached": len(papers) - len(missing),
        "claims_checked": sum(result.claims_checked for result in results),
        "claims_dropped": sum(result.claims_dropped for result in results),
    }


async def main(args: argparse.Namespace) -> None:
    base = invented_papers()
    papers = [base[n % len(base)] for n in range(args.papers)]
    # Distinct ids when asked for more papers than there are invented ones.
    papers = [paper if n < len(base) else replace(paper, arxiv_id=f"2602.9{n:04d}") for n, paper in enumerate(papers)]
    cache: dict[CacheKey, Card] = {}
    async with FakeLLM(latency=args.latency) as fake:
        client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="bench", max_retries=0)
        try:
            summarizer = LLMSummarizer(
                client, "fake-model", fallback=ExtractiveSummarizer(), concurrency=args.concurrency, timeout=30
            )
            for label in ("build", "rebuild"):
                budget = TokenBudget(args.budget or None)
                calls_before = fake.calls
                started = time.perf_counter()
                counts = await build(summarizer, papers, args.language, cache, budget)
                wall = time.perf_counter() - started
                print(
                    f"{label:8s} papers={len(papers)} wall={wall:.2f}s calls={fake.calls - calls_before} "
                    f"prompt_tokens={budget.prompt_tokens} completion_tokens={budget.completion_tokens} "
                    + " ".join(f"{key}={value}" for key, value in counts.items())
                )
            print(f"server   max_in_flight={fake.max_in_flight} latency={args.latency}s concurrency={args.concurrency}")
        finally:
            await client.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=2.0, help="seconds the fake takes per call")
    parser.add_argument("--papers", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--language", choices=["en", "zh"], default="en")
    parser.add_argument("--budget", type=int, default=60_000, help="tokens per digest; 0 for no limit")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
