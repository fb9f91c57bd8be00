"""Builds the LLM summarizer from the settings (the composition root calls this)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack

import aiohttp
import openai

from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Paper
from paperwire.bot.summarize.base import LLMSpend, Summarizer
from paperwire.bot.summarize.fulltext import FullTextFetcher
from paperwire.bot.summarize.judge import JudgeReport, judge_day
from paperwire.bot.summarize.llm import LLMSummarizer, TokenUsage
from paperwire.config.settings import Settings


Judge = Callable[[Sequence[Paper]], Awaitable[JudgeReport]]
"""Verdicts on a day's papers before curation (None inside when they could not be had), and their cost."""


def build_llm(
    settings: Settings,
    http: aiohttp.ClientSession,
    fallback: Summarizer,
    stack: AsyncExitStack,
    taxonomy: Taxonomy,
) -> tuple[LLMSummarizer, Judge | None]:
    """The LLM summarizer, and the curation judge when `llm.judge` is on; one client for both."""
    llm = settings.llm
    # Keyless local servers (Ollama, vLLM) still need some key for the SDK.
    api_key = llm.api_key.get_secret_value() if llm.api_key is not None else "none"
    client = openai.AsyncOpenAI(base_url=llm.base_url, api_key=api_key, timeout=llm.timeout_seconds)
    stack.push_async_callback(client.close)
    judge: Judge | None = None
    if llm.judge:
        topic_ids = [topic.id for topic in taxonomy.topics]
        descriptions = {topic.id: topic.name.get("en", topic.id) for topic in taxonomy.topics}

        async def advise(papers: Sequence[Paper]) -> JudgeReport:
            usage = TokenUsage()
            verdicts = await judge_day(
                client, llm.model, papers, topic_ids, topic_descriptions=descriptions, usage=usage
            )
            return JudgeReport(verdicts, LLMSpend(usage.calls, usage.prompt_tokens, usage.completion_tokens))

        judge = advise

    return _summarizer(settings, http, fallback, client), judge


def _summarizer(
    settings: Settings, http: aiohttp.ClientSession, fallback: Summarizer, client: openai.AsyncOpenAI
) -> LLMSummarizer:
    llm = settings.llm
    full_text = None
    if llm.full_text:
        full_text = FullTextFetcher(
            http,
            settings.data_dir / "cache" / "arxiv-html",
            base_url=llm.arxiv_html_base_url,
            min_interval=settings.sources.arxiv_interval_seconds,
            token_budget=llm.full_text_tokens,
        )
    return LLMSummarizer(
        client,
        llm.model,
        fallback=fallback,
        concurrency=llm.concurrency,
        timeout=llm.timeout_seconds,
        full_text=full_text,
        max_retries=llm.max_retries,
        max_tokens=llm.max_tokens,
    )
